let audio: AudioContext | undefined;

/**
 * A short high beep for "admitted", a longer low one for "refused" (Web Audio: no sound file to load). Silent
 * where the browser has no AudioContext or has not allowed sound yet (before the first tap).
 */
export function beep(kind: 'admitted' | 'refused'): void {
  try {
    audio ??= new AudioContext();
    void audio.resume();
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = kind === 'admitted' ? 'sine' : 'square';
    oscillator.frequency.value = kind === 'admitted' ? 1320 : 220;
    gain.gain.value = 0.2;
    oscillator.connect(gain).connect(audio.destination);
    const seconds = kind === 'admitted' ? 0.15 : 0.6;
    oscillator.start();
    oscillator.stop(audio.currentTime + seconds);
  } catch {
    // No sound: the colour and the words still say it.
  }
}

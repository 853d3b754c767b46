import jsQR from 'jsqr';
import { useCallback, useEffect, useRef, useState } from 'react';

/** How often a camera frame is decoded (ms): enough for a ticket held up, light on a phone's battery. */
const DECODE_EVERY_MS = 120;
/** The same code is read again only after it has been out of view this long (ms). */
const SAME_CODE_GAP_MS = 1500;
/** Frames are scaled down to at most this width before decoding (px). */
const DECODE_WIDTH = 640;

/**
 * The phone's (rear) camera with a QR reader (jsQR): each code that comes into view is handed to `onCode`
 * once, until it leaves the view. The camera runs only while switched on.
 */
export function CameraScanner({ onCode }: { onCode: (code: string) => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [on, setOn] = useState(false);
  const [error, setError] = useState<string>();
  const latest = useRef(onCode);
  latest.current = onCode;

  useEffect(() => {
    if (!on) return;
    let stream: MediaStream | undefined;
    let frame = 0;
    let stopped = false;
    let lastDecode = 0;
    let seen: { code: string; at: number } | undefined;
    const canvas = document.createElement('canvas');
    const context = canvas.getContext('2d', { willReadFrequently: true });
    const tick = (now: number) => {
      if (stopped) return;
      frame = requestAnimationFrame(tick);
      const element = video.current;
      if (!element || !context || element.readyState < element.HAVE_CURRENT_DATA) return;
      if (now - lastDecode < DECODE_EVERY_MS) return;
      lastDecode = now;
      const scale = Math.min(1, DECODE_WIDTH / (element.videoWidth || DECODE_WIDTH));
      canvas.width = Math.max(1, Math.round(element.videoWidth * scale));
      canvas.height = Math.max(1, Math.round(element.videoHeight * scale));
      context.drawImage(element, 0, 0, canvas.width, canvas.height);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = jsQR(image.data, image.width, image.height, { inversionAttempts: 'dontInvert' });
      if (found?.data) {
        const fresh = !seen || seen.code !== found.data || now - seen.at > SAME_CODE_GAP_MS;
        seen = { code: found.data, at: now };
        if (fresh) latest.current(found.data);
      }
    };
    (async () => {
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: 'environment' },
          audio: false,
        });
        if (stopped) {
          for (const track of stream.getTracks()) track.stop();
          return;
        }
        const element = video.current;
        if (!element) return;
        element.srcObject = stream;
        await element.play();
        frame = requestAnimationFrame(tick);
      } catch (cause) {
        setError(
          cause instanceof DOMException && cause.name === 'NotAllowedError'
            ? 'The camera was not allowed: allow it in the browser, or type the code below.'
            : 'No camera could be opened: type the code below.',
        );
        setOn(false);
      }
    })();
    return () => {
      stopped = true;
      cancelAnimationFrame(frame);
      for (const track of stream?.getTracks() ?? []) track.stop();
    };
  }, [on]);

  const toggle = useCallback(() => {
    setError(undefined);
    setOn((current) => !current);
  }, []);

  return (
    <div className="camera">
      <button type="button" onClick={toggle} aria-pressed={on}>
        {on ? 'Stop camera' : 'Start camera'}
      </button>
      {error && (
        <p className="notice notice-error" role="alert">
          {error}
        </p>
      )}
      <video
        ref={video}
        className={on ? 'camera-view' : 'camera-view hidden'}
        muted
        playsInline
        aria-label="Camera view: hold the ticket's QR code in front of it"
        data-testid="camera-view"
      />
    </div>
  );
}

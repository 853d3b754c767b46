import QRCode from 'qrcode';
import { useEffect, useState } from 'react';

/** The ticket's code as a QR image the door staff scan (a data: URL, allowed by the page's CSP). */
export function TicketQr({ code }: { code: string }) {
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    let current = true;
    QRCode.toDataURL(code, { margin: 1, width: 160, errorCorrectionLevel: 'M' }).then(
      (url) => current && setSrc(url),
      () => {},
    );
    return () => {
      current = false;
    };
  }, [code]);
  return src ? (
    <img src={src} width={160} height={160} alt={`QR code of ticket ${code}`} data-testid="ticket-qr" />
  ) : (
    <div className="qr-placeholder" aria-hidden="true" />
  );
}

/**
 * The browser shell's way to hand the core a dropped file: stream it to the host, which
 * keeps it in a staging folder and answers with its path there. (The desktop app reads
 * the dropped file's own path instead.)
 */
import type { Outcome } from '../../../app/api/index.ts';
import { accessToken, ApiError } from './client.ts';

export interface StagedFile {
  path: string;
  bytes: number;
}

/** Uploads `file`; `onProgress` gets the fraction sent. Rejects with ApiError or CANCELLED on abort. */
export function stageFile(file: File, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<StagedFile> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('PUT', `/api/stage?name=${encodeURIComponent(file.name)}`);
    request.setRequestHeader('Authorization', `Bearer ${accessToken() ?? ''}`);
    request.responseType = 'json';
    request.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      const outcome = request.response as Outcome<StagedFile> | null;
      if (outcome?.ok) resolve(outcome.value);
      else if (outcome && !outcome.ok) reject(ApiError.of(outcome.error));
      else reject(new ApiError('INTERNAL', `Cannot take ${file.name}: Pagevault answered HTTP ${request.status}`));
    };
    request.onerror = () => reject(new ApiError('INTERNAL', `Cannot take ${file.name}: the connection to Pagevault was lost`));
    request.onabort = () => reject(new ApiError('CANCELLED', `Taking ${file.name} was cancelled`));
    signal?.addEventListener('abort', () => request.abort(), { once: true });
    request.send(file);
  });
}

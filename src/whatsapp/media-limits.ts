// The Cloud API's media size limits by message type (cloud-api.md §8), shared by the inbound downloader and
// the sandbox (which enforces them as Meta does). Bytes, not megabytes: Meta's MB are MiB.
const MB = 1024 * 1024;

export type MediaKind = 'audio' | 'document' | 'image' | 'sticker' | 'video';

export const MEDIA_KINDS: readonly MediaKind[] = ['audio', 'document', 'image', 'sticker', 'video'];

/** Largest file of each type. Stickers: 100 KB static, 500 KB animated; the larger one applies here. */
export const MEDIA_MAX_BYTES: Readonly<Record<MediaKind, number>> = {
  audio: 16 * MB,
  document: 100 * MB,
  image: 5 * MB,
  sticker: 500 * 1024,
  video: 16 * MB,
};

/** The largest of all (documents): what applies when the type is unknown. */
export const MAX_MEDIA_BYTES = Math.max(...Object.values(MEDIA_MAX_BYTES));

export function isMediaKind(type: string): type is MediaKind {
  return (MEDIA_KINDS as readonly string[]).includes(type);
}

/** Thrown while reading a body that passes its limit: the read stops there. The message holds no content. */
export class MediaTooLargeError extends Error {
  readonly code = 'media_too_large';
  constructor(readonly limit: number, readonly kind: MediaKind | null, readonly declared: boolean) {
    super(`media is larger than the ${limit}-byte limit${kind ? ` for ${kind} messages` : ''}${declared ? ' (declared size)' : ''}`);
    this.name = 'MediaTooLargeError';
  }
}

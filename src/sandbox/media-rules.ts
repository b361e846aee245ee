// The Cloud API's media rules (cloud-api.md §8): supported MIME types and sizes per message type, and a check
// that the bytes are what the declared type says (a mismatch is Meta's 131053).
import crypto from 'node:crypto';
import { MAX_MEDIA_BYTES, MEDIA_MAX_BYTES } from '../whatsapp/media-limits.js';

/** Supported MIME types and their size limit, by message type. */
export const MEDIA_RULES: Record<'image' | 'video' | 'audio' | 'document' | 'sticker', { types: readonly string[]; maxBytes: number }> = {
  image: { types: ['image/jpeg', 'image/png'], maxBytes: MEDIA_MAX_BYTES.image },
  video: { types: ['video/mp4', 'video/3gpp'], maxBytes: MEDIA_MAX_BYTES.video },
  audio: { types: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'], maxBytes: MEDIA_MAX_BYTES.audio },
  document: {
    types: [
      'text/plain', 'application/pdf', 'application/msword', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.ms-excel', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ],
    maxBytes: MEDIA_MAX_BYTES.document,
  },
  sticker: { types: ['image/webp'], maxBytes: MEDIA_MAX_BYTES.sticker },
};

/** The largest file any message type takes: the upload route's limit. */
export const MAX_UPLOAD_BYTES = MAX_MEDIA_BYTES;

const EXTENSIONS: Record<string, readonly string[]> = {
  'image/jpeg': ['jpg', 'jpeg'], 'image/png': ['png'], 'image/webp': ['webp'], 'video/mp4': ['mp4'], 'video/3gpp': ['3gp', '3gpp'],
  'audio/aac': ['aac'], 'audio/amr': ['amr'], 'audio/mpeg': ['mp3', 'mpeg'], 'audio/mp4': ['m4a', 'mp4'], 'audio/ogg': ['ogg', 'opus', 'oga'],
  'text/plain': ['txt', 'text', 'log', 'csv'], 'application/pdf': ['pdf'], 'application/msword': ['doc'],
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': ['docx'], 'application/vnd.ms-excel': ['xls'],
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': ['xlsx'], 'application/vnd.ms-powerpoint': ['ppt'],
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': ['pptx'],
};

/** Leading bytes of the formats whose signature is unambiguous. */
const MAGIC: Record<string, (b: Buffer) => boolean> = {
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/webp': (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  'application/pdf': (b) => b.subarray(0, 5).toString('latin1') === '%PDF-',
  'audio/ogg': (b) => b.subarray(0, 4).toString('latin1') === 'OggS',
  'video/mp4': (b) => b.subarray(4, 8).toString('latin1') === 'ftyp',
};

export function kindOfMime(mime: string): keyof typeof MEDIA_RULES | null {
  for (const [kind, rule] of Object.entries(MEDIA_RULES)) {
    if (rule.types.includes(mime)) {
      // image/webp is a sticker; everything else is found once.
      if (kind === 'image' || kind === 'video' || kind === 'audio' || kind === 'document' || kind === 'sticker') return kind;
    }
  }
  return null;
}

/** Null when a file of `mime` and `size` can be sent as `kind`, else Meta-style details of the problem. */
export function checkMedia(kind: keyof typeof MEDIA_RULES, mime: string, size: number): string | null {
  const rule = MEDIA_RULES[kind];
  if (!rule.types.includes(mime)) return `Media type ${mime} is not supported for ${kind} messages (supported: ${rule.types.join(', ')}).`;
  if (size > rule.maxBytes) return `The ${kind} is ${size} bytes; the limit is ${rule.maxBytes} bytes.`;
  return null;
}

/** Null when an uploaded file is usable: supported type, within its size, bytes and extension agreeing with the type. */
export function checkUpload(mime: string, filename: string | null, bytes: Buffer): string | null {
  const kind = kindOfMime(mime);
  if (kind === null) return `Media type ${mime} is not supported.`;
  const problem = checkMedia(kind, mime, bytes.length);
  if (problem !== null) return problem;
  if (bytes.length === 0) return 'The file is empty.';
  const ext = filename?.includes('.') ? filename.split('.').pop()?.toLowerCase() : undefined;
  if (ext !== undefined && !(EXTENSIONS[mime] ?? []).includes(ext)) return `The file extension .${ext} does not match the media type ${mime}.`;
  const magic = MAGIC[mime];
  if (magic && !magic(bytes)) return `The file content does not match the media type ${mime}.`;
  return null;
}

export function sha256Hex(bytes: Buffer): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

export function sha256Base64(bytes: Buffer): string {
  return crypto.createHash('sha256').update(bytes).digest('base64');
}

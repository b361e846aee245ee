// A template approved on the WhatsApp Business Account, in every language, as the template sync records it:
// what tests of business-initiated messages need before the worker may send them.
import type { Db } from '../../src/db/database.js';
import { LANGUAGES } from '../../src/nlu/types.js';
import { META_LANGUAGE } from '../../src/whatsapp/templates.js';

export async function approveTemplate(db: Db, name: string): Promise<void> {
  for (const l of LANGUAGES) {
    await db.insertInto('message_templates').values({ name, language: l, meta_language: META_LANGUAGE[l], category: 'UTILITY', status: 'APPROVED', definition_hash: 'test' }).execute();
  }
}

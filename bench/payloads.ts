// Webhook bodies for the ingest benchmark: realistic Cloud API text-message envelopes (BSUID + phone,
// profile name, a long patient message), serialised the way Meta sends them (non-ASCII as \uXXXX, '/' as
// '\/') and padded to ~2 KB through the message text. Bodies and signatures are computed before the run so
// the load generator only hands out buffers; every 20th body repeats an earlier one byte for byte (Meta
// redelivers), which makes ~5 % duplicates.
import crypto from 'node:crypto';

export const BODY_BYTES = 2048;
/** Every DUP_EVERY-th request is a redelivery of an earlier one. */
const DUP_EVERY = 20;
/** How far back a redelivery reaches: close enough that some are still in flight (concurrent duplicates). */
const DUP_REACH = 200;

interface Sample {
  name: string;
  text: string;
}

// Long messages patients really send: symptoms, context, questions, in the clinic's languages.
const SAMPLES: Sample[] = [
  {
    name: 'Amélie Durand',
    text:
      "Bonjour docteur, je vous écris au sujet de ma fille Léa (7 ans) qui a de la fièvre depuis mardi soir, autour de 38,5 °C le matin et jusqu'à 39,2 °C le soir. " +
      "Elle tousse surtout la nuit, a mal à la gorge et ne mange presque plus, mais elle boit bien. Nous lui donnons du paracétamol (Doliprane 240 mg) toutes les six heures comme indiqué sur la boîte. " +
      "Est-ce qu'il faut prendre rendez-vous cette semaine ou attendre encore un ou deux jours ? Je travaille jusqu'à 18h, donc un créneau en fin de journée ou le samedi matin serait idéal. " +
      "Elle est suivie chez vous depuis sa naissance (dossier au nom de Léa Durand, née le 14/03/2019). Par ailleurs, son carnet de vaccination indique un rappel DTP à faire cette année : " +
      "pourrait-on en profiter pour le faire pendant la même consultation si elle est guérie ? Merci beaucoup pour votre aide et bonne journée 🙏 " +
      "PS : je peux envoyer une photo de l'ordonnance précédente si besoin, et mon mari peut aussi venir la chercher à l'école à 16h30 si c'est plus simple pour vous. " +
      "Dernière chose : la mutuelle a changé en janvier (nouvelle carte avec le numéro d'adhérent 7741 0392), faut-il vous l'envoyer avant le rendez-vous ou l'apporter le jour même ? " +
      "Et si l'état de Léa s'aggrave ce week-end, quel numéro faut-il appeler quand le cabinet est fermé ? Merci d'avance pour votre réponse rapide.",
  },
  {
    name: 'Giulia Bianchi',
    text:
      "Buongiorno, sono Giulia Bianchi, paziente della dottoressa Rossi. Vi scrivo perché da circa dieci giorni ho un dolore al ginocchio destro che peggiora quando salgo le scale e dopo la corsa. " +
      "Non ho preso colpi né cadute, però la sera il ginocchio è un po' gonfio e caldo. Ho provato ghiaccio e ibuprofene (400 mg due volte al giorno per tre giorni) ma il miglioramento è minimo. " +
      "Vorrei sapere se è meglio una visita ortopedica o prima un'ecografia, e se il vostro centro accetta l'assicurazione integrativa della mia azienda (Fondo Salute Più, tessera n. 00481-2219). " +
      "Sono libera il lunedì e il giovedì dopo le 17:30, oppure il sabato mattina. Se serve l'impegnativa del medico di base posso farmela fare entro venerdì. " +
      "Un'altra domanda: i risultati delle analisi del sangue fatte il mese scorso sono già disponibili? Non li trovo nell'area riservata. Grazie mille e buona giornata! 😊 " +
      "P.S. Il mio numero fisso è cambiato, questo WhatsApp è il contatto migliore per raggiungermi durante il giorno. " +
      "Aggiungo che il prossimo mese sarò all'estero per lavoro dal 12 al 26, quindi preferirei fissare la visita prima di partire. " +
      "Se fosse necessaria anche una radiografia, è possibile farla nella stessa mattina presso la vostra sede di via Garibaldi? Vi ringrazio ancora per la disponibilità. " +
      "Ultima cosa: mio figlio Marco (12 anni) dovrebbe fare il certificato medico per l'attività sportiva non agonistica entro fine mese; " +
      "si può prenotare nello stesso giorno, magari subito dopo la mia visita, così evitiamo di venire due volte? Serve portare l'elettrocardiogramma dell'anno scorso?",
  },
  {
    name: 'José Martínez',
    text:
      "Hola, buenas tardes. Les escribo porque mi madre, Carmen Martínez López (78 años), necesita renovar la receta de su medicación para la tensión (enalapril 10 mg y amlodipino 5 mg) y el omeprazol. " +
      "Se le acaban el próximo miércoles. Además, la semana pasada se mareó dos veces al levantarse por la mañana; no se cayó, pero nos preocupó. Se toma la tensión en casa y ha tenido valores de 105/60, " +
      "más bajos de lo habitual. ¿Sería posible una cita con su médico de cabecera, el doctor Ruiz, esta semana? Ella solo puede venir por la mañana porque yo la acompaño antes de ir al trabajo. " +
      "También queríamos preguntar si el centro tiene acceso para silla de ruedas por la entrada lateral, porque la rampa principal estaba en obras la última vez. " +
      "Si hace falta traer algún informe del hospital (estuvo ingresada en marzo por una neumonía), díganme y lo llevamos impreso. Muchas gracias por todo y un saludo cordial. " +
      "Pd: si es más fácil, pueden llamarme a este mismo número a partir de las 15:00. " +
      "Otra cosa: el mes pasado nos cobraron dos veces la misma consulta (factura 2026/0418), ¿podrían revisarlo y devolver el importe a la tarjeta? " +
      "Y si el doctor Ruiz no está disponible, a mi madre no le importa ver a otro médico, siempre que tenga acceso a su historial. Gracias de nuevo. " +
      "Por último, ¿el análisis de sangre de control que le pidieron en el hospital (hemograma, función renal e iones) se puede hacer en su centro el mismo día de la cita? " +
      "Ella tendría que venir en ayunas, así que preferiríamos la primera hora, sobre las 8:00 u 8:30 si es posible.",
  },
];

export interface Delivery {
  id: string;
  body: Buffer;
  signature: string;
}

/** JSON as Meta serialises it: ASCII only, '/' escaped. The HMAC covers these exact bytes. */
export function metaJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function signature(body: Buffer, secret: string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** A text-message envelope; every variable part has a fixed width so padding is computed once per sample. */
function envelope(phoneNumberId: string, from: string, bsuid: string, wamid: string, timestamp: string, s: Sample, text: string): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [{
      id: '102290129340398',
      changes: [{
        value: {
          messaging_product: 'whatsapp',
          metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
          contacts: [{ profile: { name: s.name }, wa_id: from, user_id: bsuid }],
          messages: [{ from, from_user_id: bsuid, id: wamid, timestamp, type: 'text', text: { body: text } }],
        },
        field: 'messages',
      }],
    }],
  };
}

export interface DeliveryPool {
  readonly size: number;
  /** Delivery number `i` of a run: computed ahead for i < size, on demand (counted) beyond. */
  get(i: number): Delivery;
  /** How many deliveries had to be computed during a run because the pool was too small. */
  readonly computedLive: number;
}

export function createDeliveryPool(opts: { size: number; secret: string; phoneNumberId: string; runId: string }): DeliveryPool {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const widthOf = (i: number) => String(i).padStart(9, '0');
  const idFor = (i: number) => `wamid.HBgL${Buffer.from(`${opts.runId}:${widthOf(i)}`).toString('base64')}`;
  const phoneOf = (i: number) => `336${widthOf(i)}`;
  const bsuidOf = (i: number) => `FR.${widthOf(i)}${widthOf(i * 7919 % 1e9)}00`;
  // The longest prefix of each sample's text that keeps the body within BODY_BYTES.
  const fitted = SAMPLES.map((s) => {
    const probe = (n: number) => Buffer.byteLength(metaJson(envelope(opts.phoneNumberId, phoneOf(0), bsuidOf(0), idFor(0), timestamp, s, s.text.slice(0, n))));
    let lo = 0;
    let hi = s.text.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (probe(mid) <= BODY_BYTES) lo = mid;
      else hi = mid - 1;
    }
    return { sample: s, text: s.text.slice(0, lo) };
  });
  // Serialised once per sample with fixed-width markers; a body is then a concatenation (keeps set-up fast).
  const templates = fitted.map((f) => metaJson(envelope(opts.phoneNumberId, '@@PHONE@@', '@@BSUID@@', '@@WAMID@@', timestamp, f.sample, f.text)).split(/@@(PHONE|BSUID|WAMID)@@/));
  const make = (i: number): Delivery => {
    const parts = templates[i % templates.length]!;
    const id = idFor(i);
    // A distinct patient per message (phone and BSUID), as in a busy clinic's morning.
    const values: Record<string, string> = { PHONE: phoneOf(i), BSUID: bsuidOf(i), WAMID: id };
    let text = '';
    for (let k = 0; k < parts.length; k++) text += k % 2 === 0 ? parts[k]! : values[parts[k]!]!;
    const body = Buffer.from(text);
    return { id, body, signature: signature(body, opts.secret) };
  };
  return poolOf(opts.size, make);
}

/** Deliveries 0…size−1 computed ahead (every 20th a redelivery of a recent one), further ones on demand. */
function poolOf(size: number, make: (i: number) => Delivery): DeliveryPool {
  const original = (i: number): number => {
    if (i % DUP_EVERY !== DUP_EVERY - 1 || i < DUP_REACH) return i;
    // A deterministic "random" earlier delivery that is not itself a duplicate.
    let j = i - 1 - ((i * 2654435761) % DUP_REACH);
    if (j % DUP_EVERY === DUP_EVERY - 1) j -= 1;
    return j;
  };
  const pool: Delivery[] = [];
  for (let i = 0; i < size; i++) {
    const o = original(i);
    pool.push(o === i ? make(i) : pool[o]!);
  }
  let computedLive = 0;
  const live = new Map<number, Delivery>();
  return {
    size,
    get computedLive() {
      return computedLive;
    },
    get(i) {
      const hit = pool[i];
      if (hit) return hit;
      const o = original(i);
      const known = pool[o] ?? live.get(o);
      if (known) return known;
      computedLive++;
      const d = make(o);
      live.set(o, d);
      return d;
    },
  };
}

/**
 * The status mix (issue 11): 80 % status webhooks, 20 % text messages from 1,000 patients. In 'mix', half the
 * statuses are for messages we sent (sent → delivered → read of seeded outbox rows, with our callback data),
 * half for messages of another app on the same WhatsApp Business Account; in 'unknown', all of them are
 * another app's. Ids: a text's wamid, a status's `wamid/status` (the status_events key).
 */
export type MixKind = 'mix' | 'unknown';

export interface MixPool extends DeliveryPool {
  /** Outbox rows the app must hold before the run: ids 1…rows, wamid `${wamidPrefix}${id}`, callback token. */
  readonly seed: { rows: number; wamidPrefix: string; token: string };
}

const STATUS_STEPS = ['sent', 'delivered', 'read'] as const;
const PATIENTS = 1000;

function statusEnvelope(phoneNumberId: string, s: { id: string; status: string; timestamp: string; recipient: string; callback: string | null }): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [{
      id: '102290129340398',
      changes: [{
        value: {
          messaging_product: 'whatsapp',
          metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
          statuses: [{
            id: s.id,
            status: s.status,
            timestamp: s.timestamp,
            recipient_id: s.recipient,
            ...(s.callback ? { biz_opaque_callback_data: s.callback } : {}),
            ...(s.status === 'read' ? {} : {
              conversation: { id: 'b0a5e6a4c1f04d4c9bd3fd0d2e38a1e7', origin: { type: 'service' } },
              pricing: { billable: false, pricing_model: 'PMP', category: 'service', type: 'free_customer_service' },
            }),
          }],
        },
        field: 'messages',
      }],
    }],
  };
}

export function createMixPool(opts: { size: number; secret: string; phoneNumberId: string; runId: string; kind: MixKind }): MixPool {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const width = (i: number) => String(i).padStart(9, '0');
  const token = crypto.createHash('sha256').update(opts.runId).digest('hex').slice(0, 12);
  const wamidPrefix = `wamid.HBgLOUT${opts.runId}.`;
  const phoneOf = (p: number) => `336${width(p)}`;
  const knownPerTen = opts.kind === 'mix' ? 4 : 0;
  const make = (i: number): Delivery => {
    const slot = i % 10;
    let id: string;
    let value: unknown;
    if (slot < 2) {
      // A text from one of 1,000 patients (each writes several times: their messages are processed in order).
      const p = i % PATIENTS;
      const s = SAMPLES[p % SAMPLES.length]!;
      id = `wamid.HBgLIN${opts.runId}${width(i)}`;
      value = envelope(opts.phoneNumberId, phoneOf(p), `FR.${width(p)}${width(p * 7919 % 1e9)}00`, id, timestamp, s, s.text.slice(0, 300));
    } else if (slot - 2 < knownPerTen) {
      // One of ours: the k-th known status is step k % 3 of outbox row k / 3 + 1.
      const k = Math.floor(i / 10) * knownPerTen + (slot - 2);
      const row = Math.floor(k / 3) + 1;
      const step = STATUS_STEPS[k % 3]!;
      const wamid = `${wamidPrefix}${row}`;
      id = `${wamid}/${step}`;
      value = statusEnvelope(opts.phoneNumberId, { id: wamid, status: step, timestamp, recipient: phoneOf(row % PATIENTS), callback: `pl:${row}:${token}` });
    } else {
      const step = STATUS_STEPS[i % 3]!;
      const wamid = `wamid.HBgLOTHER${opts.runId}${width(i)}`;
      id = `${wamid}/${step}`;
      value = statusEnvelope(opts.phoneNumberId, { id: wamid, status: step, timestamp, recipient: phoneOf(i % 7919), callback: i % 2 ? `other-app:${i}` : null });
    }
    const body = Buffer.from(metaJson(value));
    return { id, body, signature: signature(body, opts.secret) };
  };
  const pool = poolOf(opts.size, make);
  const knownStatuses = Math.ceil(opts.size / 10) * knownPerTen;
  return { ...pool, get computedLive() { return pool.computedLive; }, seed: { rows: Math.ceil((knownStatuses * 1.1) / 3) + 1, wamidPrefix, token } };
}

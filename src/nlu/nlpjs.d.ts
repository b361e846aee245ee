// The few parts of @nlpjs we use (the packages ship no types): the lang packs' tokenizers and stemmers and
// the neural classifier behind NluNeural, all synchronous. @nlpjs/core, @nlpjs/neural and @nlpjs/lang-en-min
// are direct dependencies rather than @nlpjs/basic, whose index loads its pino 7 logger, which warns
// (PINODEP008) on import.
declare module '@nlpjs/core' {
  export class Container {
    constructor();
  }
}

declare module '@nlpjs/neural' {
  export interface TrainingItem {
    input: Record<string, number>;
    output: Record<string, number>;
  }
  export interface NeuralNetworkJson {
    settings: Record<string, unknown>;
    features?: string[];
    intents?: string[];
    perceptrons?: number[][];
  }
  export interface NeuralSettings {
    log?: boolean;
    iterations?: number;
    errorThresh?: number;
    deltaErrorThresh?: number;
    learningRate?: number;
    momentum?: number;
    alpha?: number;
  }
  export class NeuralNetwork {
    constructor(settings?: NeuralSettings);
    train(corpus: TrainingItem[]): { error: number; deltaError: number; iterations: number };
    run(input: Record<string, number>): Record<string, number> | undefined;
    toJSON(): NeuralNetworkJson;
    fromJSON(json: NeuralNetworkJson): void;
  }
}

declare module '@nlpjs/lang-en-min' {
  import type { Container } from '@nlpjs/core';
  export class TokenizerEn {
    constructor(container?: Container, shouldNormalize?: boolean);
    tokenize(text: string, normalize?: boolean): string[];
  }
  export class StemmerEn {
    constructor(container?: Container);
    tokenizer: TokenizerEn;
    tokenizeAndStem(text: string, keepStops?: boolean): string[];
  }
}

declare module '@nlpjs/lang-fr' {
  import type { Container } from '@nlpjs/core';
  export class TokenizerFr {
    constructor(container?: Container, shouldNormalize?: boolean);
    tokenize(text: string, normalize?: boolean): string[];
  }
  export class StemmerFr {
    constructor(container?: Container);
    tokenizer: TokenizerFr;
    tokenizeAndStem(text: string, keepStops?: boolean): string[];
  }
}

declare module '@nlpjs/lang-it' {
  import type { Container } from '@nlpjs/core';
  export class TokenizerIt {
    constructor(container?: Container, shouldNormalize?: boolean);
    tokenize(text: string, normalize?: boolean): string[];
  }
  export class StemmerIt {
    constructor(container?: Container);
    tokenizer: TokenizerIt;
    tokenizeAndStem(text: string, keepStops?: boolean): string[];
  }
}

declare module '@nlpjs/lang-es' {
  import type { Container } from '@nlpjs/core';
  export class TokenizerEs {
    constructor(container?: Container, shouldNormalize?: boolean);
    tokenize(text: string, normalize?: boolean): string[];
  }
  export class StemmerEs {
    constructor(container?: Container);
    tokenizer: TokenizerEs;
    tokenizeAndStem(text: string, keepStops?: boolean): string[];
  }
}

declare module '@nlpjs/lang-pt' {
  import type { Container } from '@nlpjs/core';
  export class TokenizerPt {
    constructor(container?: Container, shouldNormalize?: boolean);
    tokenize(text: string, normalize?: boolean): string[];
  }
  export class StemmerPt {
    constructor(container?: Container);
    tokenizer: TokenizerPt;
    tokenizeAndStem(text: string, keepStops?: boolean): string[];
  }
}

declare module '@nlpjs/lang-de' {
  import type { Container } from '@nlpjs/core';
  export class TokenizerDe {
    constructor(container?: Container, shouldNormalize?: boolean);
    tokenize(text: string, normalize?: boolean): string[];
  }
  export class StemmerDe {
    constructor(container?: Container);
    tokenizer: TokenizerDe;
    tokenizeAndStem(text: string, keepStops?: boolean): string[];
  }
}

declare module '@nlpjs/similarity' {
  export class SpellCheck {
    constructor(settings?: { features?: Record<string, number>; minLength?: number });
    check(tokens: string[], distance?: number): string[];
  }
}

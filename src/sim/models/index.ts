import { kestrelModel } from './kestrel.ts';
import type { HandsetModel, ModelId } from './model.ts';
import { referenceModel } from './reference.ts';

export const MODELS: Readonly<Record<ModelId, HandsetModel>> = { 'lockstep-ref': referenceModel, 'kestrel-k2': kestrelModel };
export { fuseMask, MODEL_IDS, type AtAnswer, type FuseName, type HandsetModel, type ModelId } from './model.ts';

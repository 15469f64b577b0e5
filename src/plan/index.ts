/** The build plan: from a loaded tree to images, dependencies, levels and order. Pure. */
export type { Plan, PlannedImage, ImageReference } from './types.js';
export { planTree, packageImages, type PlanOptions } from './plan.js';
export { buildGraph, selectClosure, findCycle, type GraphResult, type ImageNode } from './graph.js';
export { classifyImageRef, type ImageRef } from './image-ref.js';
export { planJson, planToTable, type PlanJson, type RenderOptions } from './render.js';
export { analyzeStages, imageLinksFor, stageIndex, type StageInfo, type StageLink } from './stages.js';

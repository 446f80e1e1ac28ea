// The scenario catalogue the page offers. Until src/tools/scenarios/index.ts lands this points
// at the clearly-named stand-in; switching is this one import.
export { SCENARIOS, runScenario } from './standin-scenarios.js';
export const CATALOGUE_IS_STANDIN = true;

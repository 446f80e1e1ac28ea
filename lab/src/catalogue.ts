// The scenario catalogue the page offers: the real one, run by the stack in this browser.
export { SCENARIOS, runScenario } from '../../src/tools/scenarios/index.js';

// The virtual handset: a product feature (demos, CI, benchmarks), not a test helper. See docs/simulator.md.
export { createSimFleet, type SimFleet, type SimFleetOptions } from './fleet.ts';
export type { HandsetMode, SimHandset } from './handset.ts';
export { accelerate, defaultScenario, DEFAULT_TIMING, DEMO_SPEEDUP, loadScenario, parseScenario, ScenarioError, type Fault, type Scenario, type ScenarioDevice, type SimTiming } from './scenario.ts';
export type { SimUsbBus } from './usb-bus.ts';

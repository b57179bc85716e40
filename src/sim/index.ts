// The virtual handset: a product feature (demos, CI, benchmarks), not a test helper. See docs/simulator.md.
export { SerialPortError, type SimSerialPortInfo } from './at-port.ts';
export { readCommandLog, type CommandChannel, type CommandLogEntry } from './command-log.ts';
export { createSimFleet, type SimFleet, type SimFleetOptions } from './fleet.ts';
export type { HandsetMode, SimHandset } from './handset.ts';
export { MODEL_IDS, type ModelId } from './models/index.ts';
export { PtyUnavailableError, type SimPtyChange, type SimPtyPort, type SimPtyServer } from './pty-server.ts';
export {
  accelerate,
  defaultImei,
  defaultScenario,
  DEFAULT_TIMING,
  DEMO_SPEEDUP,
  loadScenario,
  MAX_HANDSET_NUMBER,
  parseScenario,
  ScenarioError,
  type Fault,
  type Scenario,
  type ScenarioDevice,
  type SimTiming,
} from './scenario.ts';
export type { SimSerialBus, SimSerialPortChange } from './serial-bus.ts';
export type { SimUsbBus } from './usb-bus.ts';

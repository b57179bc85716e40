/** A command the bootloader refuses: the engine answers FAIL with this message and carries on. */
export class Refusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Refusal';
  }
}

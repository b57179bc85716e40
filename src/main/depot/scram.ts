// The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802 / RFC 7677, in the format of
// pg_authid.rolpassword). Sending the verifier instead of the password keeps the password itself out
// of the server: out of its statement log, its activity views and its error messages.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** PostgreSQL's default iteration count (scram_iterations). */
const ITERATIONS = 4096;

/** The verifier of `password`, which must be plain ASCII (so SASLprep leaves it unchanged). */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16)): string {
  if (!/^[\x21-\x7e]+$/.test(password)) throw new Error('a generated station password is printable ASCII');
  const salted = pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

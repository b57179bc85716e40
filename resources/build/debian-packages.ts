// The Debian packages `npm test` needs, in one place: the preflight (resources/build/preflight.ts,
// the first step of `npm test`, which .ci/run runs) installs the missing ones, and the tests name the
// commands they run from here (tests/support/tools.ts), so a command missing from this list cannot be
// required by a test. Essential packages (coreutils, util-linux, dash) are on every Debian and are
// not listed.

export interface DebianPackage {
  readonly name: string;
  /** What the tests (or `npm run bench`) use it for. */
  readonly why: string;
  /**
   * The commands from it that are run, spelled as they are run: a bare name is looked up on PATH, a
   * path is taken as it is (`*` standing for one folder, such as PostgreSQL's major version).
   */
  readonly commands: readonly string[];
}

export const DEBIAN_PACKAGES: readonly DebianPackage[] = [
  { name: 'chromium', why: 'the UI tests run the renderer in Debian\'s Chromium', commands: ['chromium'] },
  { name: 'fonts-wqy-microhei', why: 'the UI tests\' zh-CN screenshots (and docs/screenshots) need a CJK font; the UI names this one, and the PDF reports embed it to draw Chinese', commands: [] },
  { name: 'fastboot', why: 'AOSP fastboot judges the simulator\'s fastboot from outside', commands: ['fastboot'] },
  { name: 'android-sdk-libsparse-utils', why: 'img2simg makes the sparse images the bundle tests read', commands: ['img2simg'] },
  { name: 'socat', why: 'real PTYs for the simulated handsets\' AT ports', commands: ['socat'] },
  { name: 'udev', why: 'udevadm lists serial ports for SerialPort.list()', commands: ['udevadm'] },
  { name: 'zbar-tools', why: 'zbarimg decodes the labels\' barcodes', commands: ['zbarimg'] },
  { name: 'poppler-utils', why: 'pdftoppm, pdftotext and pdfinfo read back the PDF labels and reports', commands: ['pdftoppm', 'pdftotext', 'pdfinfo'] },
  { name: 'time', why: 'GNU time gives `npm run bench` its peak-memory figures', commands: ['/usr/bin/time'] },
  { name: 'cups', why: 'the label tests print through a cupsd of their own', commands: ['/usr/sbin/cupsd'] },
  {
    name: 'cups-client',
    why: 'lp, lpstat and lpadmin drive that cupsd',
    commands: ['lp', 'lpstat', '/usr/sbin/lpadmin', '/usr/sbin/cupsenable', '/usr/sbin/cupsdisable'],
  },
  { name: 'openssl', why: 'the depot TLS test makes its own CA and server certificates', commands: ['openssl'] },
  { name: 'testssl.sh', why: 'scans `lockstep serve`\'s TLS listener (protocols, cipher strength, forward secrecy, headers and cookie flags) from outside', commands: ['testssl'] },
  { name: 'nmap', why: 'its NSE HTTP scripts scan `lockstep serve`\'s plain-HTTP listener (headers, cookie flags, methods) from outside', commands: ['nmap'] },
  {
    name: 'postgresql',
    why: 'the depot tests start a PostgreSQL server of their own',
    commands: ['/usr/lib/postgresql/*/bin/initdb', '/usr/lib/postgresql/*/bin/postgres'],
  },
];

/** The listed package that provides `command`, as spelled in its `commands`. */
export function packageProviding(command: string): DebianPackage | undefined {
  return DEBIAN_PACKAGES.find((entry) => entry.commands.includes(command));
}

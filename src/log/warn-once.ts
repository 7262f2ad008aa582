import type { Logger } from './logger';

/** The same logger, except that a warning already said is not said again. */
export function warningsOnce(log: Logger): Logger {
  const said = new Set<string>();
  return {
    debug: (msg, extra) => log.debug(msg, extra),
    info: (msg, extra) => log.info(msg, extra),
    warn: (msg, extra) => {
      if (said.has(msg)) return;
      said.add(msg);
      log.warn(msg, extra);
    },
    error: (msg, extra) => log.error(msg, extra),
  };
}

/** The console's icons (SVG files in assets/icons), as URLs the bundler resolves. */
import attach from '../../assets/icons/attach.svg';
import app from '../../assets/icons/central-quarantine.svg';
import definitions from '../../assets/icons/definitions.svg';
import deleteIcon from '../../assets/icons/delete.svg';
import items from '../../assets/icons/quarantined-items.svg';
import log from '../../assets/icons/log.svg';
import properties from '../../assets/icons/properties.svg';
import refresh from '../../assets/icons/refresh.svg';
import restore from '../../assets/icons/restore.svg';
import serverOff from '../../assets/icons/server-disconnected.svg';
import server from '../../assets/icons/server.svg';
import targets from '../../assets/icons/targets.svg';

/** Icon URLs by name. */
export const ICONS = {
  app,
  attach,
  definitions,
  delete: deleteIcon,
  items,
  log,
  properties,
  refresh,
  restore,
  server,
  serverOff,
  targets,
} as const;

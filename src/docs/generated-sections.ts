/**
 * Every generated section of the documentation. Adding one: an entry here, and the two
 * markers in its file; `make docs` fills it and the unit test keeps it fresh.
 */
import { renderConfigurationReference } from '../config/reference.js';
import { statusReference } from '../grpc/status.js';
import { renderRpcReference } from './rpc-reference.js';
import type { GeneratedSection } from './sections.js';

/** The generated sections, by file and name. */
export const GENERATED_SECTIONS: readonly GeneratedSection[] = [
  { file: 'doc/CONFIGURATION.md', name: 'configuration', render: renderConfigurationReference },
  { file: 'doc/API.md', name: 'rpcs', render: renderRpcReference },
  { file: 'doc/API.md', name: 'status', render: statusReference },
];

import { targets } from '../helpers/targets.js';
import { describeFilesApi } from './files-suite.js';

for (const [name, make] of targets) describeFilesApi(name, make);

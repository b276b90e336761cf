import { targets } from '../helpers/targets.js';
import { describeSourcesApi } from './sources-suite.js';

for (const [name, make] of targets) describeSourcesApi(name, make);

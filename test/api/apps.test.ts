import { targets } from '../helpers/targets.js';
import { describeAppsApi } from './apps-suite.js';

for (const [name, make] of targets) describeAppsApi(name, make);

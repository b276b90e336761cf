import { targets } from '../helpers/targets.js';
import { describeUploadsApi } from './uploads-suite.js';

for (const [name, make] of targets) describeUploadsApi(name, make);

import { targets } from '../helpers/targets.js';
import { describeHostileInput } from './hostile-suite.js';

for (const [name, make] of targets) describeHostileInput(name, make);

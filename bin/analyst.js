#!/usr/bin/env node
// Runs the TypeScript sources through tsx so that `npm install` alone is enough: no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');

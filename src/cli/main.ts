import { probe } from '../domain/shared/probe.ts';
console.log(probe(1));

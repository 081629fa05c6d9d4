/** Exhaustiveness guard for switches over discriminated unions. */
export const unreachable = (value: never): never => {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
};

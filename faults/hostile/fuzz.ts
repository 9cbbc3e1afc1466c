import fc from "fast-check";

/**
 * Runs a fast-check property and returns its failure in one line (the shrunk counterexample and
 * what broke), or undefined when it held for `numRuns` inputs.
 */
export async function checkProperty<T>(
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<void>,
  numRuns: number,
): Promise<string | undefined> {
  const details = await fc.check(fc.asyncProperty(arbitrary, predicate), { numRuns });
  if (!details.failed) return undefined;
  const cause = details.errorInstance instanceof Error
    ? details.errorInstance.message
    : String(details.errorInstance);
  return `${cause.slice(0, 300)} (counterexample ${
    JSON.stringify(details.counterexample).slice(0, 300)
  }, seed ${details.seed})`;
}

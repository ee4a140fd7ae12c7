/**
 * Node.js flags of the splitter Lambda, shared with `npm run bench`, which runs the splitter the
 * way it is deployed. V8 sizes its young generation to the allocation rate, which splitting makes
 * high: capped, a 1M-user job with its password export peaks under 200 MB, no slower.
 */
export const splitterNodeFlags: readonly string[] = ['--max-semi-space-size=8'];

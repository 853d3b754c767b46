// Moved to tools/build-lambdas.ts. Kept only while stacks/functions.ts still imports it from here
// (r-routes removes that import); delete this file once it has.
export * from '../tools/build-lambdas';

// The tests' way to cdktf's `Testing`: imported from here, cdktf resolves in stacks/node_modules (the
// infrastructure's own install, `npm ci --prefix stacks`), the very copy the stacks build with.
export { Testing } from 'cdktf';

// The argument errors live in bindings/arg-errors.ts (one module for every argument error).
export { invalidArgType, invalidArgValue, noLongerSupported, outOfRange } from '../arg-errors.js';

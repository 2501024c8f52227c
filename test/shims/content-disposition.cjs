// Jest (Node 20) cannot require() an ESM-only package from CommonJS, which @fastify/static does with
// content-disposition 3. Tests map it to the CommonJS 1.x release, whose default export is `create`.
const contentDisposition = require('content-disposition-cjs');

module.exports = { create: contentDisposition, parse: contentDisposition.parse };

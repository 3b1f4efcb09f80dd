/** The one place the CLI reaches into @kavach/client (bundled into dist/kavach.js at build time). */
export * from '../../ts/src/node.js';

/**
 * The kavach protos' descriptors WITH source info (comments), for reflection: protoc-gen-es
 * embeds descriptors without it, so `grpcurl describe` and `buf curl` would show no comments.
 * `npm run generate` writes the file with `buf build` beside the generated code, and
 * `npm run check` fails when it is stale, like the rest of gen/.
 */
import { readFileSync } from 'node:fs';
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';

/** Where `npm run generate` puts the descriptor set (see package.json). */
export const SOURCE_DESCRIPTORS_URL = new URL('../../gen/kavach-source-info.binpb', import.meta.url);

/** The file descriptors with source info, by file name (`kavach/v1/agent_service.proto`…). */
export function loadSourceDescriptors(url: URL = SOURCE_DESCRIPTORS_URL): ReadonlyMap<string, FileDescriptorProto> {
  const set = fromBinary(FileDescriptorSetSchema, readFileSync(url));
  return new Map(set.file.map((file) => [file.name, file]));
}

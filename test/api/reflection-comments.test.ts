/**
 * Reflection serves the kavach protos with their comments (issue 11 item 9), so `grpcurl
 * describe` and `buf curl` show them: the descriptors embedded by protoc-gen-es have no source
 * info, so the server serves gen/kavach-source-info.binpb for those files, which
 * `npm run generate` writes and `npm run check` keeps in sync with proto/.
 */
import { create, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { ServerReflection, ServerReflectionRequestSchema } from '../../gen/grpc/reflection/v1/reflection_pb.js';
import { file_kavach_v1_agent_service } from '../../gen/kavach/v1/agent_service_pb.js';
import { loadSourceDescriptors } from '../../src/api/source-descriptors.js';
import { useInProcess } from './given.js';

/** FileDescriptorProto field numbers (descriptor.proto): service = 6, and a service's method = 2. */
const SERVICE_FIELD = 6;
const METHOD_FIELD = 2;

function leadingComment(file: FileDescriptorProto, service: string, method: string): string | undefined {
  const s = file.service.findIndex((x) => x.name === service);
  const m = file.service[s]?.method.findIndex((x) => x.name === method) ?? -1;
  const path = [SERVICE_FIELD, s, METHOD_FIELD, m].join(',');
  return file.sourceCodeInfo?.location.find((l) => l.path.join(',') === path)?.leadingComments;
}

describe('reflection', () => {
  const env = useInProcess();

  it('returns the comment of a known RPC (AgentService.CreateAgent)', async () => {
    const reflection = env().client(ServerReflection);
    async function* one() {
      yield create(ServerReflectionRequestSchema, {
        messageRequest: { case: 'fileContainingSymbol', value: 'kavach.v1.AgentService.CreateAgent' },
      });
    }
    const files: FileDescriptorProto[] = [];
    for await (const res of reflection.serverReflectionInfo(one())) {
      if (res.messageResponse.case !== 'fileDescriptorResponse') return expect.fail(`got ${res.messageResponse.case}`);
      files.push(...res.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b)));
    }
    const file = files.find((f) => f.name === 'kavach/v1/agent_service.proto') ?? expect.fail('agent_service.proto not served');
    expect(leadingComment(file, 'AgentService', 'CreateAgent')).toMatch(/CreateAgent creates an active agent and returns its token, once\./);
  });

  it('serves the same files protoc-gen-es embedded, with source info added', () => {
    const withInfo = loadSourceDescriptors().get('kavach/v1/agent_service.proto') ?? expect.fail('not in the descriptor set');
    const embedded = file_kavach_v1_agent_service.proto;
    expect(withInfo.sourceCodeInfo?.location.length ?? 0).toBeGreaterThan(0);
    expect(withInfo.service.map((s) => s.method.map((m) => m.name))).toEqual(embedded.service.map((s) => s.method.map((m) => m.name)));
    expect(withInfo.messageType.map((m) => m.name)).toEqual(embedded.messageType.map((m) => m.name));
    expect(withInfo.dependency).toEqual(embedded.dependency);
  });
});

import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { file_kavach_v1_agent_service } from '../../../gen/kavach/v1/agent_service_pb.js';
import { file_kavach_v1_audit_service } from '../../../gen/kavach/v1/audit_service_pb.js';
import { file_kavach_v1_auth_service } from '../../../gen/kavach/v1/auth_service_pb.js';
import { file_kavach_v1_authorize_service } from '../../../gen/kavach/v1/authorize_service_pb.js';
import { file_kavach_v1_delegation_service } from '../../../gen/kavach/v1/delegation_service_pb.js';
import { createReflectionIndex } from '../../../src/api/reflection.js';

const index = createReflectionIndex([
  file_kavach_v1_auth_service,
  file_kavach_v1_agent_service,
  file_kavach_v1_authorize_service,
  file_kavach_v1_audit_service,
  file_kavach_v1_delegation_service,
]);

function fileNames(answer: ReturnType<typeof index.answer>): string[] {
  if (answer.case !== 'fileDescriptorResponse') throw new Error(`expected files, got ${answer.case}`);
  return answer.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name);
}

describe('reflection index', () => {
  it('lists the kavach, health and reflection services', () => {
    const answer = index.answer({ case: 'listServices', value: '' });
    expect(answer).toEqual({
      case: 'listServicesResponse',
      value: {
        service: [
          'grpc.health.v1.Health',
          'grpc.reflection.v1.ServerReflection',
          'grpc.reflection.v1alpha.ServerReflection',
          'kavach.v1.AgentService',
          'kavach.v1.AuditService',
          'kavach.v1.AuthService',
          'kavach.v1.AuthorizeService',
          'kavach.v1.DelegationService',
        ].map((name) => ({ name })),
      },
    });
  });

  it.each([
    'kavach.v1.AgentService',
    'kavach.v1.AgentService.CreateAgent',
    'kavach.v1.CreateAgentRequest',
    '.kavach.v1.CreateAgentRequest',
    'kavach.v1.CreateAgentRequest.name',
  ])('finds the file of %s, first, with its dependencies', (symbol) => {
    const names = fileNames(index.answer({ case: 'fileContainingSymbol', value: symbol }));
    expect(names[0]).toBe('kavach/v1/agent_service.proto');
    expect(names).toEqual(expect.arrayContaining(['kavach/v1/types.proto', 'google/protobuf/timestamp.proto']));
    expect(new Set(names).size).toBe(names.length);
  });

  it('finds enum values beside their enum, as protobuf scopes them', () => {
    const names = fileNames(index.answer({ case: 'fileContainingSymbol', value: 'grpc.health.v1.HealthCheckResponse.SERVING' }));
    expect(names).toEqual(['health/v1/health.proto']);
  });

  it('finds a file by name, and a dependency by name', () => {
    expect(fileNames(index.answer({ case: 'fileByFilename', value: 'kavach/v1/types.proto' }))[0]).toBe('kavach/v1/types.proto');
    expect(fileNames(index.answer({ case: 'fileByFilename', value: 'google/protobuf/timestamp.proto' }))).toEqual([
      'google/protobuf/timestamp.proto',
    ]);
  });

  it.each([
    { case: 'fileContainingSymbol' as const, value: 'kavach.v1.Nothing' },
    { case: 'fileByFilename' as const, value: 'kavach/v1/nothing.proto' },
    { case: 'fileContainingExtension' as const, value: { containingType: 'kavach.v1.Agent', extensionNumber: 1000 } },
    { case: 'allExtensionNumbersOfType' as const, value: 'kavach.v1.Nothing' },
  ])('answers NOT_FOUND for an unknown $case', (query) => {
    expect(index.answer(query)).toMatchObject({ case: 'errorResponse', value: { errorCode: Code.NotFound } });
  });

  it('reports no extension numbers for a known message', () => {
    expect(index.answer({ case: 'allExtensionNumbersOfType', value: 'kavach.v1.Agent' })).toEqual({
      case: 'allExtensionNumbersResponse',
      value: { baseTypeName: 'kavach.v1.Agent', extensionNumber: [] },
    });
  });
});

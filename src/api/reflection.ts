/**
 * gRPC server reflection, v1 and v1alpha, so that `grpcurl` and `buf curl --reflect` work
 * without local proto files. Descriptors come from the files protoc-gen-es embedded in gen/,
 * with their dependencies (google/protobuf/*.proto) reached through `DescFile.dependencies`;
 * the kavach files are served with their source info (comments) from source-descriptors.ts.
 *
 * Every file answer carries the file and all its transitive dependencies (the protocol allows
 * leaving out files already sent on the stream; sending them again is always correct).
 */
import { create, toBinary, type DescEnum, type DescExtension, type DescFile, type DescMessage } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { Code, type ConnectRouter } from '@connectrpc/connect';
import { file_health_v1_health } from '../../gen/health/v1/health_pb.js';
import * as v1 from '../../gen/grpc/reflection/v1/reflection_pb.js';
import * as v1alpha from '../../gen/grpc/reflection/v1alpha/reflection_pb.js';

/** The request fields both protocol versions share (they are wire-identical). */
type Query =
  | { readonly case: 'fileByFilename'; readonly value: string }
  | { readonly case: 'fileContainingSymbol'; readonly value: string }
  | {
      readonly case: 'fileContainingExtension';
      readonly value: { readonly containingType: string; readonly extensionNumber: number };
    }
  | { readonly case: 'allExtensionNumbersOfType'; readonly value: string }
  | { readonly case: 'listServices'; readonly value: string }
  | { readonly case: undefined; readonly value?: undefined };

type Answer =
  | { case: 'fileDescriptorResponse'; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: 'allExtensionNumbersResponse'; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: 'listServicesResponse'; value: { service: { name: string }[] } }
  | { case: 'errorResponse'; value: { errorCode: number; errorMessage: string } };

/** What reflection knows: files by name, symbols to their file, services to list, extensions. */
export interface ReflectionIndex {
  answer(query: Query): Answer;
  readonly services: readonly string[];
}

function collectFiles(roots: readonly DescFile[]): Map<string, DescFile> {
  const byName = new Map<string, DescFile>();
  const visit = (file: DescFile): void => {
    if (byName.has(file.proto.name)) return;
    byName.set(file.proto.name, file);
    for (const dep of file.dependencies) visit(dep);
  };
  for (const file of roots) visit(file);
  return byName;
}

/** The scope enum values live in: protobuf puts them beside their enum, not inside it. */
function enumValueScope(e: DescEnum): string {
  const dot = e.typeName.lastIndexOf('.');
  return dot === -1 ? '' : `${e.typeName.slice(0, dot)}.`;
}

function indexSymbols(files: Iterable<DescFile>): {
  symbols: Map<string, DescFile>;
  messages: Map<string, DescMessage>;
  extensions: DescExtension[];
} {
  const symbols = new Map<string, DescFile>();
  const messages = new Map<string, DescMessage>();
  const extensions: DescExtension[] = [];
  const addEnum = (e: DescEnum): void => {
    symbols.set(e.typeName, e.file);
    for (const value of e.values) symbols.set(`${enumValueScope(e)}${value.name}`, e.file);
  };
  const addExtension = (x: DescExtension): void => {
    symbols.set(x.typeName, x.file);
    extensions.push(x);
  };
  const addMessage = (m: DescMessage): void => {
    symbols.set(m.typeName, m.file);
    messages.set(m.typeName, m);
    for (const field of m.fields) symbols.set(`${m.typeName}.${field.name}`, m.file);
    for (const oneof of m.oneofs) symbols.set(`${m.typeName}.${oneof.name}`, m.file);
    m.nestedMessages.forEach(addMessage);
    m.nestedEnums.forEach(addEnum);
    m.nestedExtensions.forEach(addExtension);
  };
  for (const file of files) {
    file.messages.forEach(addMessage);
    file.enums.forEach(addEnum);
    file.extensions.forEach(addExtension);
    for (const service of file.services) {
      symbols.set(service.typeName, file);
      for (const method of service.methods) symbols.set(`${service.typeName}.${method.name}`, file);
    }
  }
  return { symbols, messages, extensions };
}

/**
 * Builds the index over `files`, their dependencies, and the health and reflection files. A
 * file named in `withSourceInfo` is served as given there (the same file, with its comments),
 * the others as embedded in gen/.
 */
export function createReflectionIndex(
  files: readonly DescFile[],
  withSourceInfo: ReadonlyMap<string, FileDescriptorProto> = new Map(),
): ReflectionIndex {
  const served = [...files, file_health_v1_health, v1.file_grpc_reflection_v1_reflection, v1alpha.file_grpc_reflection_v1alpha_reflection];
  const byName = collectFiles(served);
  const { symbols, messages, extensions } = indexSymbols(byName.values());
  const services = [...new Set(served.flatMap((f) => f.services.map((s) => s.typeName)))].sort();
  const encoded = new Map<string, Uint8Array>();
  const encode = (file: DescFile): Uint8Array => {
    let bytes = encoded.get(file.proto.name);
    if (bytes === undefined) {
      bytes = toBinary(FileDescriptorProtoSchema, withSourceInfo.get(file.proto.name) ?? file.proto);
      encoded.set(file.proto.name, bytes);
    }
    return bytes;
  };
  const withDependencies = (file: DescFile): Answer => {
    const out = [...collectFiles([file]).values()].map(encode);
    return { case: 'fileDescriptorResponse', value: { fileDescriptorProto: out } };
  };
  const notFound = (what: string): Answer => ({
    case: 'errorResponse',
    value: { errorCode: Code.NotFound, errorMessage: `${what} not found` },
  });

  return {
    services,
    answer(query) {
      switch (query.case) {
        case 'fileByFilename': {
          const file = byName.get(query.value);
          return file === undefined ? notFound(`file "${query.value}"`) : withDependencies(file);
        }
        case 'fileContainingSymbol': {
          const file = symbols.get(query.value.replace(/^\./, ''));
          return file === undefined ? notFound(`symbol "${query.value}"`) : withDependencies(file);
        }
        case 'fileContainingExtension': {
          const { containingType, extensionNumber } = query.value;
          const ext = extensions.find((x) => x.extendee.typeName === containingType && x.number === extensionNumber);
          return ext === undefined ? notFound(`extension ${extensionNumber} of "${containingType}"`) : withDependencies(ext.file);
        }
        case 'allExtensionNumbersOfType': {
          const typeName = query.value.replace(/^\./, '');
          if (!messages.has(typeName)) return notFound(`message type "${query.value}"`);
          const numbers = extensions.filter((x) => x.extendee.typeName === typeName).map((x) => x.number);
          return { case: 'allExtensionNumbersResponse', value: { baseTypeName: typeName, extensionNumber: numbers } };
        }
        case 'listServices':
          return { case: 'listServicesResponse', value: { service: services.map((name) => ({ name })) } };
        case undefined:
          return { case: 'errorResponse', value: { errorCode: Code.InvalidArgument, errorMessage: 'empty reflection request' } };
      }
    },
  };
}

/**
 * Registers `grpc.reflection.v1.ServerReflection` and its v1alpha twin (older grpcurl and
 * grpc-go clients ask for v1alpha). Lists the services of `files` plus health and reflection.
 */
export function registerReflection(
  router: ConnectRouter,
  files: readonly DescFile[],
  withSourceInfo?: ReadonlyMap<string, FileDescriptorProto>,
): void {
  const index = createReflectionIndex(files, withSourceInfo);
  router.service(v1.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        yield create(v1.ServerReflectionResponseSchema, {
          validHost: req.host,
          originalRequest: req,
          messageResponse: index.answer(req.messageRequest),
        });
      }
    },
  });
  router.service(v1alpha.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        yield create(v1alpha.ServerReflectionResponseSchema, {
          validHost: req.host,
          originalRequest: req,
          messageResponse: index.answer(req.messageRequest),
        });
      }
    },
  });
}

/**
 * `grpc.health.v1.Health` (Check, Watch, List), open to every caller. One switch drives every
 * status: the overall service "" and each kavach service report SERVING once the store is ready
 * and NOT_SERVING before that and from the moment shutdown begins.
 */
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuditService } from '../../gen/kavach/v1/audit_service_pb.js';
import { AuthService } from '../../gen/kavach/v1/auth_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { DelegationService } from '../../gen/kavach/v1/delegation_service_pb.js';
import {
  Health,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
  type HealthCheckResponse,
} from '../../gen/health/v1/health_pb.js';

/** The names Check and Watch know: the whole server ("") and each kavach service. */
export const HEALTH_SERVICE_NAMES: readonly string[] = [
  '',
  AuthService.typeName,
  AgentService.typeName,
  AuthorizeService.typeName,
  AuditService.typeName,
  DelegationService.typeName,
];

export interface HealthService {
  /** Switches every known service between SERVING and NOT_SERVING; Watch streams see it at once. */
  setServing(serving: boolean): void;
  isServing(): boolean;
  /** Registers `grpc.health.v1.Health` on the router. */
  register(router: ConnectRouter): void;
}

/** Resolves on the next status change; rejects with the signal's reason when it aborts. */
function nextChange(waiters: Set<() => void>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onChange = (): void => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = (): void => {
      waiters.delete(onChange);
      reject(signal.reason instanceof Error ? signal.reason : new ConnectError('call ended', Code.Canceled));
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    waiters.add(onChange);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Creates the health state, NOT_SERVING until `setServing(true)`. */
export function createHealth(): HealthService {
  const known = new Set(HEALTH_SERVICE_NAMES);
  // Watch calls waiting for the next change (a Set, not an EventTarget: no listener cap).
  const waiters = new Set<() => void>();
  let serving = false;
  let version = 0;

  const statusOf = (service: string): ServingStatus => {
    if (!known.has(service)) return ServingStatus.SERVICE_UNKNOWN;
    return serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  };
  const response = (status: ServingStatus): HealthCheckResponse => create(HealthCheckResponseSchema, { status });

  return {
    setServing(next) {
      if (next === serving) return;
      serving = next;
      version += 1;
      const woken = [...waiters];
      waiters.clear();
      for (const wake of woken) wake();
    },
    isServing: () => serving,
    register(router) {
      router.service(Health, {
        check(req) {
          if (!known.has(req.service)) {
            throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
          }
          return response(statusOf(req.service));
        },
        // Per the protocol: send the current status at once, then each change; an unknown
        // service is SERVICE_UNKNOWN and the call stays open. Ends when the call is aborted
        // (client gone, or server shutdown with its own status).
        async *watch(req, ctx: HandlerContext) {
          let sent: ServingStatus | undefined;
          for (;;) {
            const seen = version;
            const status = statusOf(req.service);
            if (status !== sent) {
              sent = status;
              yield response(status);
            }
            // A change that happened while the message was being sent is not missed.
            if (version === seen) await nextChange(waiters, ctx.signal);
          }
        },
        list() {
          const statuses: Record<string, HealthCheckResponse> = {};
          for (const name of known) statuses[name] = response(statusOf(name));
          return { statuses };
        },
      });
    },
  };
}

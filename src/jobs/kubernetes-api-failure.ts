import { ApiException } from '@kubernetes/client-node';
import { z } from 'zod';
import { AppError, describeError } from '../errors.ts';
import { errorCode, isUnreachableCode } from '../integrations/logs/upstream-failure.ts';

/** The RBAC permission a request needs, for the message when it is refused. */
export interface Permission {
  verb: string;
  resource: string;
  /** The API group; core ("") when absent. */
  group?: string;
}

const statusBody = z.looseObject({ message: z.string().optional(), reason: z.string().optional() });

/** The HTTP status of a Kubernetes API error, or undefined when the request never got an answer. */
export function apiStatus(error: unknown): number | undefined {
  return error instanceof ApiException ? (error.code as number) : undefined;
}

/** The `message` of a Kubernetes Status body (a string or parsed), or the body itself on one line. */
export function statusMessage(body: unknown): string {
  if (body === undefined || body === null || body === '') return '';
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body) as unknown;
    } catch {
      return oneLine(body);
    }
  }
  const status = statusBody.safeParse(value);
  return status.success && status.data.message ? oneLine(status.data.message) : oneLine(JSON.stringify(value));
}

/**
 * An AppError for a failed request to the Kubernetes API: the server, what was being done, what
 * it answered and what to do; a 403 names the permission the service account lacks.
 */
export function kubernetesFailure(
  error: unknown,
  where: { server: string; namespace: string },
  doing: string,
  needs: Permission,
): AppError {
  const at = `The Kubernetes API at ${where.server}`;
  if (error instanceof ApiException) {
    const status = error.code as number;
    const message = statusMessage(error.body);
    const detail = message ? `: ${message}` : '';
    if (status === 401) {
      return new AppError(
        'kubernetes_auth',
        `${at} did not accept the credentials (HTTP 401${detail}) while ${doing}; check the kubeconfig or the service account token`,
        { cause: error },
      );
    }
    if (status === 403) {
      const group = needs.group ? ` in API group ${needs.group}` : '';
      return new AppError(
        'kubernetes_forbidden',
        `${at} forbade ${doing} (HTTP 403${detail}); the service account may not do that: ` +
          `it needs \`${needs.verb}\` on \`${needs.resource}\`${group} in namespace ${where.namespace}`,
        { cause: error },
      );
    }
    return new AppError('kubernetes_error', `${at} answered HTTP ${status} while ${doing}${detail}`, { cause: error });
  }
  const code = errorCode(error);
  if (isUnreachableCode(code)) {
    return new AppError(
      'kubernetes_unreachable',
      `${at} is unreachable (${code}) while ${doing}; check the kubeconfig (KUBECONFIG) or the in-cluster service account`,
      { cause: error },
    );
  }
  return new AppError('kubernetes_error', `${at} failed while ${doing}: ${describeError(error)}`, { cause: error });
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}

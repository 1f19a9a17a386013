import { KubeConfig } from '@kubernetes/client-node';

/** The cluster nock answers for: a bearer token at `server`, TLS not verified (no real certificate). */
export function nockedKubeConfig(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server, skipTLSVerify: true }],
    users: [{ name: 'ci', token: 'token-abc' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'ci' }],
    currentContext: 'test',
  });
  return kc;
}

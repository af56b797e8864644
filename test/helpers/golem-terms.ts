// Offers and demands as Golem tooling writes them (flat properties, LDAP-like
// constraints), for tests that negotiate over the network.
export function providerOffer(providerId: string, extra: Record<string, unknown> = {}): { properties: Record<string, unknown>; constraints: string } {
  return {
    properties: {
      'golem.inf.cpu.threads': 4,
      'golem.inf.mem.gib': 8,
      'golem.inf.storage.gib': 40,
      'golem.runtime.name': 'wasmtime',
      'golem.com.pricing.model': 'linear',
      'golem.com.pricing.model.linear.coeffs': [0.0001, 0.00005, 0],
      'golem.com.usage.vector': ['golem.usage.cpu_sec', 'golem.usage.duration_sec'],
      'golem.com.payment.platform.erc20-holesky-tglm.address': providerId.toLowerCase(),
      ...extra
    },
    constraints: '(&(golem.srv.comp.expiration>0)(golem.node.debug.subnet=agora-test))'
  }
}

export function requesterDemand(
  extra: Record<string, unknown> = {},
  constraints = '',
  runtime = 'wasmtime'
): { properties: Record<string, unknown>; constraints: string } {
  return {
    properties: {
      'golem.srv.comp.expiration': Date.now() + 3_600_000,
      'golem.node.debug.subnet': 'agora-test',
      ...extra
    },
    constraints: `(&(golem.inf.mem.gib>=0.5)(golem.inf.storage.gib>=2)(golem.runtime.name=${runtime})(golem.com.pricing.model=linear)(golem.com.payment.platform.erc20-holesky-tglm.address=*)${constraints})`
  }
}

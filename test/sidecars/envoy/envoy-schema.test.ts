import { stringify } from 'yaml';
import { envoyBootstrapErrors, validateEnvoyBootstrap } from './envoy-schema';

/**
 * The oracle itself: a hand-written bootstrap (in the shape of Envoy's own
 * configs/envoyproxy_io_proxy.yaml) loads, and each kind of mistake Envoy refuses is
 * refused here too.
 */

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

function valid(): any {
  return {
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 9901 } } },
    static_resources: {
      listeners: [{
        name: 'listener_0',
        address: { socket_address: { address: '0.0.0.0', port_value: 10000 } },
        filter_chains: [{
          filters: [{
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM,
              'stat_prefix': 'ingress_http',
              'route_config': {
                name: 'local_route',
                virtual_hosts: [{ name: 'local_service', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'service', timeout: '0.25s' } }] }],
              },
              'http_filters': [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
            },
          }],
        }],
      }],
      clusters: [{
        name: 'service',
        type: 'LOGICAL_DNS',
        connect_timeout: '5s',
        dns_lookup_family: 'V4_ONLY',
        load_assignment: {
          cluster_name: 'service',
          endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'www.envoyproxy.io', port_value: 443 } } } }] }],
        },
      }],
    },
  };
}

const text = (b: any) => stringify(b);
const hcm = (b: any) => b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;

describe('the Envoy bootstrap oracle', () => {
  test('a valid bootstrap loads', () => {
    expect(envoyBootstrapErrors(text(valid()))).toEqual([]);
    expect(() => validateEnvoyBootstrap(text(valid()))).not.toThrow();
  });

  test.each<[string, (b: any) => void, RegExp]>([
    ['a misspelled field', b => { b.static_resources.clusters[0].conect_timeout = '5s'; }, /unknown field 'conect_timeout' in envoy\.config\.cluster\.v3\.Cluster/],
    ['a misspelled field inside typed_config', b => { hcm(b).stat_prefx = 'x'; }, /unknown field 'stat_prefx' in envoy\.extensions\.filters\.network\.http_connection_manager\.v3\.HttpConnectionManager/],
    ['a wrong enum name', b => { b.static_resources.clusters[0].type = 'STRICT'; }, /'STRICT' is not a value of enum envoy\.config\.cluster\.v3\.Cluster\.DiscoveryType/],
    ['an unknown @type', b => { hcm(b).http_filters[0].typed_config['@type'] = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Routr'; }, /'@type' "type\.googleapis\.com\/envoy\.extensions\.filters\.http\.router\.v3\.Routr" is no message of Envoy's API/],
    ['a port of 70000', b => { b.static_resources.listeners[0].address.socket_address.port_value = 70000; }, /port_value: 70000 must be <= 65535/],
    ['a route to a missing cluster', b => { hcm(b).route_config.virtual_hosts[0].routes[0].route.cluster = 'missing'; }, /route to cluster 'missing', which does not exist/],
    ['a duration of 5', b => { b.static_resources.clusters[0].connect_timeout = 5; }, /connect_timeout: a Duration must be a string such as "5s", not 5/],
    ['a duration beyond protobuf\'s range', b => { b.static_resources.clusters[0].connect_timeout = '1e+21s'; }, /'1e\+21s' is not a proto3 JSON Duration/],
    ['a duration of zero where PGV wants > 0', b => { b.static_resources.clusters[0].connect_timeout = '0s'; }, /connect_timeout: 0s must be > 0s/],
    ['a number for a string', b => { b.static_resources.clusters[0].name = 5; }, /clusters\[0\]\.name: string expected/],
    ['a oneof with two members', b => { hcm(b).route_config.virtual_hosts[0].routes[0].match.path = '/x'; }, /oneof 'path_specifier' of envoy\.config\.route\.v3\.RouteMatch has prefix and path/],
    ['a required oneof left empty', b => { hcm(b).route_config.virtual_hosts[0].routes[0].match = {}; }, /oneof 'path_specifier' of envoy\.config\.route\.v3\.RouteMatch needs one of/],
    ['a required field left out', b => { delete b.static_resources.listeners[0].filter_chains[0].filters[0].name; }, /filters\[0\]\.name: '' is shorter than 1 characters/],
    ['an empty list where PGV wants items', b => { hcm(b).route_config.virtual_hosts[0].domains = []; }, /domains: at least 1 items, got 0/],
    ['a deprecated field', b => { b.static_resources.listeners[0].deprecated_v1 = {}; }, /deprecated_v1: the field is deprecated/],
    ['two clusters of one name', b => { b.static_resources.clusters.push({ ...b.static_resources.clusters[0] }); }, /two clusters are named 'service'/],
    ['two listeners on one address', b => { b.static_resources.listeners.push({ ...b.static_resources.listeners[0], name: 'listener_1' }); }, /listener 'listener_0' and listener 'listener_1' both bind 0\.0\.0\.0:10000/],
    ['a listener on the admin address', b => { b.static_resources.listeners[0].address.socket_address = { address: '0.0.0.0', port_value: 9901 }; }, /admin and listener 'listener_0' both bind 0\.0\.0\.0:9901/],
    ['a duplicate domain', b => { hcm(b).route_config.virtual_hosts.push({ name: 'other', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'service' } }] }); }, /only unique values for domains are permitted, '\*' is repeated/],
    ['a filter chain that does not end with the router', b => {
      hcm(b).http_filters = [{ name: 'envoy.filters.http.cors', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' } }];
    }, /http filter chain of 'ingress_http' does not end with the router/],
    ['a STATIC cluster on a DNS name', b => { b.static_resources.clusters[0].type = 'STATIC'; }, /a STATIC cluster needs IP addresses, not 'www\.envoyproxy\.io'/],
  ])('refuses %s', (_, mutate, error) => {
    // GIVEN a valid bootstrap with one mistake
    const b = valid();
    mutate(b);

    // THEN
    expect(envoyBootstrapErrors(text(b)).join('\n')).toMatch(error);
    expect(() => validateEnvoyBootstrap(text(b))).toThrow(/Envoy would refuse this bootstrap/);
  });

  test.each(['on', 'yes', 'N', 'off', 'y', 'No', 'TRUE', '1e5', '0x1F', '010'])('reads the unquoted word %s as YAML 1.1 does: not a string', (word) => {
    // GIVEN a cluster name written unquoted, the way a YAML 1.2 writer writes it
    const yaml = text(valid()).replace(/name: service\n/, `name: ${word}\n`).replace(/cluster_name: service\n/, `cluster_name: ${word}\n`);
    expect(yaml).toContain(`name: ${word}\n`);

    // THEN
    expect(envoyBootstrapErrors(yaml).join('\n')).toMatch(/clusters\[0\]\.name: string expected/);
  });

  test('a quoted YAML 1.1 word is a string', () => {
    const yaml = text(valid()).replace(/name: service\n/, 'name: "on"\n').replace(/cluster_name: service\n/, 'cluster_name: "on"\n').replace(/cluster: service\n/, 'cluster: "on"\n');
    expect(envoyBootstrapErrors(yaml)).toEqual([]);
  });

  test('YAML duplicate keys are refused', () => {
    expect(envoyBootstrapErrors('admin: {}\nadmin: {}\n').join('\n')).toMatch(/YAML: .*[Uu]nique|YAML: .*duplicate/);
  });
});

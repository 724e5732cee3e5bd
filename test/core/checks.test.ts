import { isIPv4 as nodeIsIPv4 } from 'net';
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as fc from 'fast-check';
import { AlertPack } from '../../src/alerts/pack';
import {
  Checks, dnsLabelFrom, isConfigMapKey, isDnsName, isDnsSubdomain, isIPv4, isLabelValue, isPinnedImage, isPortName, isQualifiedName,
  wholeMillis, wholeSeconds,
} from '../../src/core/checks';
import { failFor, SidecarError, workloadSubject } from '../../src/core/errors';
import { newChart, webDeployment } from '../util';

/** The checks of sidecar 's' on workload 'test/web'. */
function checks(): Checks {
  const chart = newChart();
  return new Checks(failFor(workloadSubject(webDeployment(chart), 's')));
}

/** The error `call` throws (it must throw a SidecarError). */
function errorOf(call: () => unknown): SidecarError {
  try {
    call();
  } catch (e) {
    expect(e).toBeInstanceOf(SidecarError);
    return e as SidecarError;
  }
  throw new Error('expected an error, got none');
}

describe('the error format', () => {
  test('a SidecarError names the code, the workload, the sidecar, the problem and the fix', () => {
    // WHEN
    const e = errorOf(() => checks().port('metricsPort', 70000));

    // THEN
    expect(e.name).toBe('SidecarError');
    expect(e.code).toBe('PORT_INVALID');
    expect(e.problem).toBe("'metricsPort' 70000 is not a valid port number");
    expect(e.fix).toBe("pass an integer from 1 to 65535 as 'metricsPort'");
    expect(e.message).toBe("[PORT_INVALID] workload 'test/web', sidecar 's': 'metricsPort' 70000 is not a valid port number. Fix: pass an integer from 1 to 65535 as 'metricsPort'.");
  });

  test('an error about the whole pod leaves the sidecar out', () => {
    const chart = newChart();
    const e = errorOf(() => new Checks(failFor(workloadSubject(webDeployment(chart)))).port('port', 0));
    expect(e.message).toBe("[PORT_INVALID] workload 'test/web': 'port' 0 is not a valid port number. Fix: pass an integer from 1 to 65535 as 'port'.");
  });
});

describe('Checks', () => {
  test.each([1, 80, 65535])('port %d is accepted and returned', port => {
    expect(checks().port('p', port)).toBe(port);
  });

  test.each([0, -1, 65536, 80.5, NaN])('port %d is PORT_INVALID', port => {
    expect(() => checks().port('metricsPort', port)).toThrow(/^\[PORT_INVALID\] .*: 'metricsPort' .* is not a valid port number\. /);
  });

  test('distinct ports: two props on one number are PORT_DUPLICATE naming both props', () => {
    // GIVEN / WHEN / THEN
    expect(() => checks().distinctPorts({ adminPort: 15000, inboundPort: 15006, statsPort: 15000 })).toThrow(
      "[PORT_DUPLICATE] workload 'test/web', sidecar 's': 'adminPort' and 'statsPort' are both 15000. Fix: give 'adminPort' and 'statsPort' different port numbers.",
    );
    expect(() => checks().distinctPorts({ adminPort: 15000, inboundPort: 15006 })).not.toThrow();
  });

  test('seconds: whole seconds from the minimum are returned as a number', () => {
    expect(checks().seconds('drain', Duration.seconds(0))).toBe(0);
    expect(checks().seconds('drain', Duration.minutes(2))).toBe(120);
    expect(checks().seconds('expiration', Duration.minutes(10), 600)).toBe(600);
  });

  test.each([
    ['fractional', Duration.millis(1500), 0, "'drain' is not a whole number of seconds, 0 or more"],
    ['below the minimum', Duration.minutes(5), 600, "'drain' is not a whole number of seconds of at least 600"],
  ])('seconds: %s is DURATION_INVALID', (_label, value, min, problem) => {
    const e = errorOf(() => checks().seconds('drain', value, min));
    expect(e.code).toBe('DURATION_INVALID');
    expect(e.problem).toBe(problem);
  });

  test('integer: whole numbers in the range pass; others are NUMBER_INVALID naming the range', () => {
    expect(checks().integer('replicas', 3, 1, 5)).toBe(3);
    expect(checks().integer('retries', 1000, 0)).toBe(1000);
    expect(errorOf(() => checks().integer('replicas', 6, 1, 5)).problem).toBe("'replicas' 6 is not a whole number from 1 to 5");
    expect(errorOf(() => checks().integer('retries', 1.5, 0)).problem).toBe("'retries' 1.5 is not a whole number 0 or more");
    expect(errorOf(() => checks().integer('retries', -1, 0)).code).toBe('NUMBER_INVALID');
  });

  test('ratio: a share is accepted; 10 meaning 10 % is RATIO_INVALID (an alert on it could never fire)', () => {
    // GIVEN / WHEN / THEN
    expect(checks().ratio('threshold', 0.1)).toBe(0.1);
    expect(checks().ratio('threshold', 1)).toBe(1);
    expect(() => checks().ratio('threshold', 10)).toThrow(
      "[RATIO_INVALID] workload 'test/web', sidecar 's': 'threshold' 10 is not a ratio above 0 and at most 1. Fix: pass a share such as 0.05 for 5 % as 'threshold'.",
    );
    for (const bad of [0, -0.1, 1.01, NaN, Infinity]) {
      expect(errorOf(() => checks().ratio('threshold', bad)).code).toBe('RATIO_INVALID');
    }
  });

  test('oneOf: an enum value passes; anything else is ENUM_INVALID listing the values', () => {
    enum Policy { ALLOW_ANY = 'ALLOW_ANY', REGISTRY_ONLY = 'REGISTRY_ONLY' }
    expect(checks().oneOf('policy', Policy.REGISTRY_ONLY, Policy, 'Policy')).toBe(Policy.REGISTRY_ONLY);
    expect(() => checks().oneOf('policy', 'ALLOW' as Policy, Policy, 'Policy')).toThrow(
      "[ENUM_INVALID] workload 'test/web', sidecar 's': 'policy' 'ALLOW' is not one of the Policy values. Fix: pass Policy.ALLOW_ANY or Policy.REGISTRY_ONLY.",
    );
  });

  test.each(['a', 'log-shipper', 'x1', 'a'.repeat(63)])('dnsLabel %s is accepted', name => {
    expect(checks().dnsLabel('name', name)).toBe(name);
  });

  test.each(['Log', 'log_shipper', '-a', 'a-', 'a.b', 'a'.repeat(64)])('dnsLabel %p is NAME_INVALID', name => {
    expect(errorOf(() => checks().dnsLabel('volumes.name', name)).problem).toBe(`'volumes.name' '${name}' is not a DNS label`);
  });

  test.each(['/tmp', '/var/log/app', '/a..b', '/.hidden', '/a-b_c.d'])('absolutePath %s is accepted', path => {
    expect(checks().absolutePath('path', path)).toBe(path);
  });

  // Two spellings of one path (`/a/` and `/a`, `/a/./b` and `/a/b`) would slip past the mount-path checks.
  test.each(['tmp', '/', '/a/', '/a//b', '/a/./b', '/data/../etc', '/..', '/a b', '/a\nb', '/a\tb'])('absolutePath %p is PATH_INVALID', path => {
    const e = errorOf(() => checks().absolutePath('configDir', path));
    expect(e.code).toBe('PATH_INVALID');
    expect(e.problem).toMatch(/^'configDir' '.*' is not a canonical absolute path$/);
    expect(e.fix).toBe("pass an absolute path such as '/var/log/app' as 'configDir' (no '.', '..', '//', trailing '/' or whitespace)");
  });

  test('directory: a trailing slash is dropped; anything else is checked like a path', () => {
    expect(checks().directory('configDir', '/etc/app/')).toBe('/etc/app');
    expect(checks().directory('configDir', '/etc/app')).toBe('/etc/app');
    expect(errorOf(() => checks().directory('configDir', '/')).code).toBe('PATH_INVALID');
    expect(errorOf(() => checks().directory('configDir', '/etc//app/')).problem).toBe("'configDir' '/etc//app/' is not a canonical absolute path");
  });

  test('a control character in a value is shown escaped, never raw, in the message', () => {
    const e = errorOf(() => checks().absolutePath('configDir', '/a\nb'));
    expect(e.problem).toBe("'configDir' '/a\\nb' is not a canonical absolute path");
  });

  test('an empty value is refused and shown as two quotes', () => {
    // GIVEN / WHEN
    const name = errorOf(() => checks().dnsLabel('volumes.name', ''));
    const path = errorOf(() => checks().absolutePath('configDir', ''));

    // THEN
    expect(name.code).toBe('NAME_INVALID');
    expect(path.code).toBe('PATH_INVALID');
    expect(name.problem).toBe("'volumes.name' '' is not a DNS label");
    expect(path.problem).toBe("'configDir' '' is not a canonical absolute path");
  });

  test.each(['HTTP_PROXY', 'no_proxy', 'a.b-c', '_X', '.x'])('envName %s is accepted', name => {
    expect(checks().envName('appEnvVariables', name)).toBe(name);
  });

  test.each(['1PROXY', '', 'A B', 'LOG\nLEVEL', 'A=B', '.', '..', '..HOST'])('envName %p is ENV_NAME_INVALID', name => {
    const e = errorOf(() => checks().envName('envVariables', name));
    expect(e.code).toBe('ENV_NAME_INVALID');
    expect(e.problem).toMatch(/ in 'envVariables' is not a valid environment variable name$/);
  });

  test('mebibytes: a positive whole size is returned in MiB; others are SIZE_INVALID', () => {
    expect(checks().mebibytes('bufferSize', Size.gibibytes(1))).toBe(1024);
    expect(() => checks().mebibytes('bufferSize', Size.kibibytes(1536))).toThrow(
      "[SIZE_INVALID] workload 'test/web', sidecar 's': 'bufferSize' is not a positive whole number of MiB. Fix: pass e.g. Size.mebibytes(64) as 'bufferSize'.",
    );
    expect(errorOf(() => checks().mebibytes('bufferSize', Size.mebibytes(0))).code).toBe('SIZE_INVALID');
  });
});

describe('checks of the container', () => {
  test('image: a pinned image is returned; latest or no tag is IMAGE_NOT_PINNED', () => {
    expect(checks().image('envoyproxy/envoy:v1.33.2')).toBe('envoyproxy/envoy:v1.33.2');
    expect(() => checks().image('envoyproxy/envoy')).toThrow(
      "[IMAGE_NOT_PINNED] workload 'test/web', sidecar 's': image 'envoyproxy/envoy' is not pinned. Fix: use an exact tag or digest, never 'latest' or no tag.",
    );
  });

  test('identity: a non-root uid and a gid of 0 or more', () => {
    expect(() => checks().identity(101, 0)).not.toThrow();
    expect(errorOf(() => checks().identity(0, 101)).problem).toBe('uid 0 is not a non-root user');
    expect(errorOf(() => checks().identity(1.5, 101)).code).toBe('USER_INVALID');
    expect(errorOf(() => checks().identity(101, -1)).problem).toBe('gid -1 is not valid');
  });

  test('resources: renderable resources are returned; a limit below its request is RESOURCES_INVALID', () => {
    const ok = { cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(200) } };
    expect(checks().resources(ok)).toBe(ok);
    expect(errorOf(() => checks().resources({ cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.millis(100) } })).problem)
      .toBe('CPU limit 100m is below the CPU request 500m');
  });
});

describe('codes shared with alert packs', () => {
  test('a pack name that is no DNS label is NAME_INVALID', () => {
    expect(() => AlertPack.custom('Rclone', [{ alert: 'RcloneErrors', expr: 'up{$sidecar} == 0', summary: 'rclone is down.' }])).toThrow(
      /^\[NAME_INVALID\] alert pack 'Rclone': pack name "Rclone" is not a DNS label\. /,
    );
  });
});

describe('helpers', () => {
  test.each([
    ['metrics', true], ['http-admin', true], ['a1', true], ['123', false], ['a--b', false],
    ['sidecar-metrics-port', false], ['Metrics', false], ['', false],
  ])('isPortName(%p) is %p', (name, valid) => {
    expect(isPortName(name)).toBe(valid);
  });

  test.each([
    ['envoyproxy/envoy:v1.33.2', true], ['registry:5000/rclone:1.68.2', true], ['x@sha256:abc', true],
    ['rclone/rclone:latest', false], ['registry:5000/rclone', false], ['rclone', false], ['', false],
  ])('isPinnedImage(%p) is %p', (image, pinned) => {
    expect(isPinnedImage(image)).toBe(pinned);
  });

  // The cases of apimachinery's own tests (pkg/util/validation/validation_test.go,
  // TestIsDNS1123Subdomain and TestIsConfigMapKey).
  test.each([
    'a', 'ab', 'abc', 'a1', 'a-1', 'a--1--2--b', '0', '01', '012', '1a', '1-a', '1--a--b--2',
    'a.a', 'ab.a', 'abc.a', 'a1.a', 'a-1.a', 'a--1--2--b.a', 'a.1', 'ab.1', 'abc.1', 'a1.1', 'a-1.1', 'a--1--2--b.1',
    '0.a', '01.a', '012.a', '1a.a', '1-a.a', '0.1', '01.1', '012.1', '1a.1', '1-a.1', '1--a--b--2.1',
    'a.b.c.d.e', 'aa.bb.cc.dd.ee', '1.2.3.4.5', '11.22.33.44.55', 'a'.repeat(253),
  ])('isDnsSubdomain(%p) is true', name => {
    expect(isDnsSubdomain(name)).toBe(true);
  });

  test.each([
    '', 'A', 'ABC', 'aBc', 'A1', 'A-1', '1-A', '-', 'a-', '-a', '1-', '-1', '_', 'a_', '_a', 'a_b', '1_', '_1', '1_2',
    '.', 'a.', '.a', 'a..b', '1.', '.1', '1..2', ' ', 'a ', ' a', 'a b', '1 ', ' 1', '1 2',
    'A.a', 'aB.a', 'ab.A', 'A1.a', 'a1.A', 'A.1', 'aB.1', 'A1.1', '1A.1', '0.A', '01.A', '012.A', '1A.a', '1a.A',
    'A.B.C.D.E', 'AA.BB.CC.DD.EE', 'a.B.c.d.e', 'aa.bB.cc.dd.ee', 'a@b', 'a,b', 'a_b', 'a;b', 'a:b', 'a%b', 'a?b', 'a$b',
    'a'.repeat(254), 'a.-b', 'a-.b',
  ])('isDnsSubdomain(%p) is false', name => {
    expect(isDnsSubdomain(name)).toBe(false);
  });

  test.each([
    ['a', true], ['good', true], ['good-good', true], ['still.good', true], ['this.is.also.good', true],
    ['.so.is.this', true], ['THIS_IS_GOOD', true], ['so_is_this_17', true], ['x'.repeat(253), true],
    ['.', false], ['..', false], ['..bad', false], ['b*d', false], ['bad!&bad', false], ['', false], ['x'.repeat(254), false],
  ])('isConfigMapKey(%p) is %p', (key, valid) => {
    expect(isConfigMapKey(key)).toBe(valid);
  });

  // Examples from the Kubernetes docs (Labels and Selectors: syntax and character set).
  test.each([
    ['app.kubernetes.io/name', true], ['kubernetes.io/role', true], ['MyApp_1.x', true], ['a', true],
    ['x'.repeat(63), true], ['x'.repeat(64), false], ['/name', false], ['example.com/', false],
    ['Example.com/name', false], ['-name', false], ['name.', false], ['', false],
  ])('isQualifiedName(%p) is %p', (key, valid) => {
    expect(isQualifiedName(key)).toBe(valid);
  });

  test.each([
    ['', true], ['v1.2-rc_3', true], ['x'.repeat(63), true], ['x'.repeat(64), false], ['-v', false], ['v_', false], ['a/b', false],
  ])('isLabelValue(%p) is %p', (value, valid) => {
    expect(isLabelValue(value)).toBe(valid);
  });

  test('isIPv4 accepts what Node.js\'s net.isIPv4 accepts, on dotted strings of numbers and more', () => {
    const part = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('00', '01', '010', '255', '256', '', 'a', '-1', ' 1'));
    fc.assert(fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), parts => {
      const address = parts.join('.');
      expect(isIPv4(address)).toBe(nodeIsIPv4(address));
    }), { numRuns: 2000 });
    expect(['0.0.0.0', '10.0.0.1', '255.255.255.255'].every(isIPv4)).toBe(true);
  });

  // RFC 1123 host names (section 2.1): labels of letters, digits and '-', not starting or
  // ending with '-', at most 63 characters each and 253 in all; a name of only digits and
  // dots is an address, not a name.
  test.each([
    ['payments', true], ['payments.production.svc.cluster.local', true], ['Example.COM', true], ['3com.com', true],
    ['a-b.c-d', true], [`${'x'.repeat(63)}.com`, true], [Array(4).fill('x'.repeat(62)).join('.'), true],
    ['', false], ['-a.com', false], ['a-.com', false], ['a..b', false], ['.a', false], ['a.', false], ['a_b.com', false],
    ['a b', false], [`${'x'.repeat(64)}.com`, false], [Array(5).fill('x'.repeat(62)).join('.'), false], ['1.2.3.4', false], ['123', false],
  ])('isDnsName(%p) is %p', (name, valid) => {
    expect(isDnsName(name)).toBe(valid);
  });

  test('wholeMillis and wholeSeconds: whole units, 0 or more; otherwise undefined', () => {
    expect(wholeMillis(Duration.millis(250))).toBe(250);
    expect(wholeMillis(Duration.seconds(1.5))).toBe(1500);
    expect(wholeMillis(Duration.millis(0))).toBe(0);
    expect(wholeMillis(Duration.millis(0.5))).toBeUndefined();
    expect(wholeMillis('1s' as any)).toBeUndefined();
    expect(wholeSeconds(Duration.minutes(2))).toBe(120);
    expect(wholeSeconds(Duration.millis(1500))).toBeUndefined();
  });

  test('dnsLabelFrom makes a DNS label of any path, at most 63 characters', () => {
    expect(dnsLabelFrom('s', '/var/cache/rclone')).toBe('s-var-cache-rclone');
    expect(dnsLabelFrom('S', '/A_B//c.d/')).toBe('s-a-b-c-d');
    const long = dnsLabelFrom('x'.repeat(60), '/abcdef');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});

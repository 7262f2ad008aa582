import { InputError } from '../errors';
import { configFromEnv } from './load-config';

describe('configFromEnv', () => {
  it('reads object settings (stream maps) as JSON', () => {
    expect(
      configFromEnv({
        TAP_POSTGRES_STREAM_MAPS: '{"public-users": {"email": null}}',
        TAP_POSTGRES_STREAM_MAP_CONFIG: '{"salt": "x"}',
      }),
    ).toEqual({
      stream_maps: { 'public-users': { email: null } },
      stream_map_config: { salt: 'x' },
    });
  });

  it('says which variable is not JSON', () => {
    expect(() => configFromEnv({ TAP_POSTGRES_STREAM_MAPS: '{oops' })).toThrow(InputError);
    expect(() => configFromEnv({ TAP_POSTGRES_STREAM_MAPS: '{oops' })).toThrow(
      /TAP_POSTGRES_STREAM_MAPS is not a JSON object/,
    );
  });
});

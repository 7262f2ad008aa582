import { recordPrefix, type RecordSink } from '../../singer/writer';
import { flatteningStep } from '../flatten-step';
import { RecordMapping } from '../record-mapping';
import { StreamMapper } from '../stream-mapper';
import { parseStreamMapsConfig } from '../stream-maps-config';
import type { MappedStreamSetup } from './protocol';

/**
 * On a worker thread, the mapping of a stream the main thread set up (MappedStreamOutput): the
 * same outputs, built from the same settings, every output's RECORD lines into `sink`.
 */
export function mappingForSetup(setup: MappedStreamSetup, sink: RecordSink): RecordMapping {
  const config =
    parseStreamMapsConfig(setup.streamMaps, setup.streamMapConfig) ??
    parseStreamMapsConfig({}, undefined)!;
  const mapper = new StreamMapper(
    config,
    setup.flattening ? [flatteningStep(setup.flattening)] : [],
  );
  const outputs = mapper.outputsFor(setup.stream, setup.schema, setup.keyProperties);
  return new RecordMapping(
    outputs,
    outputs.map((o) => ({ sink, prefix: Buffer.from(recordPrefix(o.alias)) })),
  );
}

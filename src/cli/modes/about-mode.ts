import { aboutInfo, aboutMarkdown } from '../about';
import { writeDocument, type CliIo } from '../cli-io';

export async function runAbout(format: 'json' | 'markdown', io: CliIo): Promise<number> {
  const info = aboutInfo();
  await writeDocument(
    io.stdout,
    format === 'markdown' ? aboutMarkdown(info) : `${JSON.stringify(info, null, 2)}\n`,
  );
  return 0;
}

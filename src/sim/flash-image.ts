// `flash:<partition>`: writes the download buffer into a partition, as raw bytes from offset 0 or,
// when it starts with the sparse magic, chunk by chunk. Sparse pieces apply cumulatively: a
// DONT_CARE region leaves what an earlier piece (or an earlier flash) wrote.
import { isSparseImage, readSparse, SPARSE_HEADER_SIZE, SparseFormatError } from '../lib/sparse/reader.ts';
import { Refusal } from './refusal.ts';
import type { DownloadBuffer } from './download-buffer.ts';
import type { Pacer } from './pacer.ts';
import type { PartitionWriter } from './partition-store.ts';
import type { PartitionSpec } from './platform.ts';

export async function flashImage(buffer: DownloadBuffer, partition: PartitionSpec, writer: PartitionWriter, flashRate: Pacer): Promise<void> {
  if (buffer.size === 0) throw new Refusal('no image downloaded; send download: first');
  // The eMMC writes from the command on: reading and writing the first piece is within its time, not before it.
  flashRate.start();
  if (isSparseImage(await buffer.head(SPARSE_HEADER_SIZE))) await flashSparse(buffer, partition, writer, flashRate);
  else await flashRaw(buffer, partition, writer, flashRate);
}

async function flashRaw(buffer: DownloadBuffer, partition: PartitionSpec, writer: PartitionWriter, flashRate: Pacer): Promise<void> {
  if (buffer.size > partition.size) throw new Refusal(`image is ${buffer.size} bytes, ${partition.name} holds ${partition.size}`);
  let offset = 0;
  for await (const piece of buffer.content()) {
    await writer.write(offset, piece);
    offset += piece.length;
    await flashRate.account(piece.length);
  }
}

async function flashSparse(buffer: DownloadBuffer, partition: PartitionSpec, writer: PartitionWriter, flashRate: Pacer): Promise<void> {
  try {
    for await (const event of readSparse(buffer.content())) {
      switch (event.type) {
        case 'header': {
          const expanded = event.header.totalBlocks * event.header.blockSize;
          if (expanded > partition.size) throw new Refusal(`sparse image expands to ${expanded} bytes, ${partition.name} holds ${partition.size}`);
          break;
        }
        case 'raw':
          await writer.write(event.offset, event.data);
          await flashRate.account(event.data.length);
          break;
        case 'fill':
          await writer.fill(event.offset, event.length, event.pattern);
          await flashRate.account(event.length);
          break;
        case 'dont-care':
        case 'crc32':
          break;
      }
    }
  } catch (error) {
    if (error instanceof SparseFormatError) throw new Refusal(error.message);
    throw error;
  }
}

using System.Buffers.Binary;
using System.Text.Json;
using Fanout.Core.Models;
using Fanout.Core.Storage;

namespace Fanout.Core.Retries;

/// <summary>
/// The storage side of a retry. A retry batch keeps <c>batches-work/{id}/retry/lines.bin</c> (little-endian int32s): for
/// each of its lines, the line of the merged output it replaces (the first batch's line index, through any chain of
/// retries). <c>merged.jsonl</c> is the base output (the first batch's <c>output.jsonl</c>, or the previous retry's
/// <c>merged.jsonl</c>) with those lines replaced by the retry's output lines, which keep the base line's <c>id</c>, so
/// a merged file reads as the first batch's output with its failures answered.
/// </summary>
public static class RetryMerge
{
    /// <summary>Name of the merged output of a retry batch, in the output container.</summary>
    public const string MergedFile = "merged.jsonl";

    /// <summary>
    /// Writes the prepared input of retry batch <paramref name="retryId"/>: the lines of <paramref name="original"/> whose
    /// output line is an error (failed or cancelled) and that passed validation (an invalid line fails the same way
    /// however often it is sent), copied as stored, same custom_id and body, in order. Returns how many lines were
    /// taken and how many failed lines were left out because they failed validation.
    /// </summary>
    public static async Task<(int Lines, int Invalid)> PrepareAsync(
        BatchStore store, BatchInput original, int total, string retryId, int chunkSize, CancellationToken cancellationToken)
    {
        await using var output = await store.OpenOutputAsync(original.BatchId, BatchBlobLayout.OutputFile, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Batch {original.BatchId} has no output.jsonl.");
        var previousMap = original.Retry is null ? null : await ReadMapAsync(store, original.BatchId, cancellationToken).ConfigureAwait(false);
        var sourceChunkSize = original.Prepared?.ChunkSize ?? original.ChunkSize;
        var map = new List<int>();
        var invalid = 0;
        var buffer = new MemoryStream();
        var offsets = new List<long> { 0 };
        var written = 0;
        var index = 0;
        (byte[] Content, long[] Offsets) chunk = default;
        var loaded = -1;
        await foreach (var line in JsonlByteLines.ReadAsync(output, cancellationToken).ConfigureAwait(false))
        {
            if (index >= total)
            {
                break;
            }

            if (OutputLines.IsError(line))
            {
                var local = index % sourceChunkSize;
                if (loaded != index / sourceChunkSize)
                {
                    loaded = index / sourceChunkSize;
                    chunk = await ReadPreparedChunkAsync(store, original.BatchId, loaded, cancellationToken).ConfigureAwait(false);
                }

                var (content, chunkOffsets) = (chunk.Content!, chunk.Offsets!);
                var prepared = content.AsMemory((int)chunkOffsets[local], (int)(chunkOffsets[local + 1] - chunkOffsets[local]));
                if (PreparedLine.Parse(prepared).IsError)
                {
                    invalid++;
                }
                else
                {
                    buffer.Write(prepared.Span);
                    offsets.Add(buffer.Length);
                    map.Add(previousMap?[index] ?? index);
                    if (offsets.Count == chunkSize + 1)
                    {
                        await store.WritePreparedChunkAsync(retryId, written++, buffer.ToArray(), offsets, cancellationToken).ConfigureAwait(false);
                        buffer.SetLength(0);
                        offsets.Clear();
                        offsets.Add(0);
                    }
                }
            }

            index++;
        }

        if (offsets.Count > 1)
        {
            await store.WritePreparedChunkAsync(retryId, written, buffer.ToArray(), offsets, cancellationToken).ConfigureAwait(false);
        }

        if (map.Count > 0)
        {
            var bytes = new byte[map.Count * sizeof(int)];
            for (var i = 0; i < map.Count; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * sizeof(int)), map[i]);
            }

            await store.WriteWorkBlobAsync(MapBlob(retryId), BinaryData.FromBytes(bytes), cancellationToken).ConfigureAwait(false);
        }

        return (map.Count, invalid);
    }

    /// <summary>Writes <c>{retryId}/merged.jsonl</c>: the base output with the retry's lines in their places. Idempotent.</summary>
    public static async Task WriteMergedAsync(BatchStore store, string retryId, RetrySource retry, CancellationToken cancellationToken)
    {
        var map = await ReadMapAsync(store, retryId, cancellationToken).ConfigureAwait(false);
        await using var baseStream = await store.OpenOutputBlobAsync(retry.BaseBlob, cancellationToken).ConfigureAwait(false);
        await using var retried = await store.OpenOutputAsync(retryId, BatchBlobLayout.OutputFile, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Batch {retryId} has no output.jsonl to merge.");
        await using var target = await store.CreateOutputBlobAsync($"{retryId}/{MergedFile}", cancellationToken).ConfigureAwait(false);
        await using var answers = JsonlByteLines.ReadAsync(retried, cancellationToken).GetAsyncEnumerator(cancellationToken);
        var next = 0;
        var index = 0;
        await foreach (var line in JsonlByteLines.ReadAsync(baseStream, cancellationToken).ConfigureAwait(false))
        {
            if (next < map.Length && map[next] == index)
            {
                if (!await answers.MoveNextAsync().ConfigureAwait(false))
                {
                    throw new InvalidOperationException($"Batch {retryId}: output.jsonl has fewer lines than the retry ran.");
                }

                await target.WriteAsync(WithIdOf(answers.Current, line), cancellationToken).ConfigureAwait(false);
                next++;
            }
            else
            {
                await target.WriteAsync(line, cancellationToken).ConfigureAwait(false);
            }

            target.WriteByte((byte)'\n');
            index++;
        }
    }

    /// <summary><paramref name="line"/> with its <c>id</c> value replaced by that of <paramref name="idFrom"/>, every other byte kept.</summary>
    internal static byte[] WithIdOf(byte[] line, byte[] idFrom)
    {
        var (start, end) = IdToken(line);
        var (fromStart, fromEnd) = IdToken(idFrom);
        if (start < 0 || fromStart < 0)
        {
            return line;
        }

        return [.. line.AsSpan(0, start), .. idFrom.AsSpan(fromStart, fromEnd - fromStart), .. line.AsSpan(end)];
    }

    private static (int Start, int End) IdToken(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return (-1, -1);
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isId = reader.ValueTextEquals("id"u8);
            reader.Read();
            if (isId)
            {
                return reader.TokenType == JsonTokenType.String ? ((int)reader.TokenStartIndex, (int)reader.BytesConsumed) : (-1, -1);
            }

            reader.Skip();
        }

        return (-1, -1);
    }

    private static string MapBlob(string batchId) => $"{batchId}/retry/lines.bin";

    private static async Task<int[]> ReadMapAsync(BatchStore store, string batchId, CancellationToken cancellationToken)
    {
        var bytes = (await store.ReadWorkBlobAsync(MapBlob(batchId), cancellationToken).ConfigureAwait(false)).ToMemory();
        var map = new int[bytes.Length / sizeof(int)];
        for (var i = 0; i < map.Length; i++)
        {
            map[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.Span[(i * sizeof(int))..]);
        }

        return map;
    }

    private static async Task<(byte[] Content, long[] Offsets)> ReadPreparedChunkAsync(BatchStore store, string batchId, int chunk, CancellationToken cancellationToken)
    {
        var content = (await store.ReadWorkBlobAsync(BatchStore.ChunkBlob(batchId, chunk), cancellationToken).ConfigureAwait(false)).ToArray();
        var idx = (await store.ReadWorkBlobAsync(BatchStore.IndexBlob(batchId, chunk), cancellationToken).ConfigureAwait(false)).ToMemory();
        var offsets = LineIndexFormat.Decode(idx.Span);

        return (content, offsets);
    }
}

using System.Buffers;
using Amazon.S3;
using Amazon.S3.Model;

namespace SecondServer.Infrastructure.Storage;

/// <summary>
/// A write-only stream into one S3 object that holds at most one part in memory whatever the object's size: every
/// full part goes up as a part of a multipart upload; an object smaller than one part is a single PutObject. Write
/// asynchronously, then call <see cref="CompleteAsync"/>; disposing without completing abandons the upload.
/// </summary>
internal sealed class S3UploadStream(IAmazonS3 s3, string bucket, string key, string contentType) : Stream
{
    /// <summary>S3's smallest part size (for every part but the last).</summary>
    public const int PartSize = 5 * 1024 * 1024;

    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(PartSize);
    private readonly List<PartETag> _parts = [];
    private int _buffered;
    private long _length;
    private string? _uploadId;
    private bool _completed;
    private bool _disposed;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => !_completed && !_disposed;

    public override long Length => _length;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (!buffer.IsEmpty)
        {
            var take = Math.Min(buffer.Length, PartSize - _buffered);
            buffer[..take].CopyTo(_buffer.AsMemory(_buffered));
            _buffered += take;
            _length += take;
            buffer = buffer[take..];
            if (_buffered == PartSize)
            {
                await UploadPartAsync(cancellationToken);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Buffered writers flush through here; uploads happen only in WriteAsync and CompleteAsync.
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Write(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("S3UploadStream uploads asynchronously only; use WriteAsync.");

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Uploads what is buffered and makes the object visible.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_uploadId is null)
        {
            using var body = new MemoryStream(_buffer, 0, _buffered, writable: false);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = body, ContentType = contentType, AutoCloseStream = false }, cancellationToken);
        }
        else
        {
            if (_buffered > 0)
            {
                await UploadPartAsync(cancellationToken);
            }

            await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = _uploadId, PartETags = _parts }, cancellationToken);
        }

        _completed = true;
    }

    public override async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        ArrayPool<byte>.Shared.Return(_buffer);
        if (_uploadId is not null && !_completed)
        {
            try
            {
                await s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = _uploadId });
            }
            catch (AmazonS3Exception)
            {
                // Not every S3-compatible server can abort (s3rver cannot); a bucket lifecycle rule cleans up there.
            }
        }

        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        base.Dispose(disposing);
    }

    private async Task UploadPartAsync(CancellationToken cancellationToken)
    {
        _uploadId ??= (await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = key, ContentType = contentType }, cancellationToken)).UploadId;
        using var body = new MemoryStream(_buffer, 0, _buffered, writable: false);
        var response = await s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket,
            Key = key,
            UploadId = _uploadId,
            PartNumber = _parts.Count + 1,
            InputStream = body,
            PartSize = _buffered,
        }, cancellationToken);
        _parts.Add(new PartETag(_parts.Count + 1, response.ETag));
        _buffered = 0;
    }
}

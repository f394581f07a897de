using Fanout.Core.Service;

namespace Fanout.Core.OpenAICompat;

/// <summary>The errors of the OpenAI-compatible surface whose words recur (API.md's codes).</summary>
public static class OpenAIErrors
{
    /// <summary>404 <c>file_not_found</c>.</summary>
    public static ServiceError FileNotFound(string id) => ServiceError.NotFound("file_not_found", $"No file with id '{id}'.");

    /// <summary>404 <c>batch_not_found</c>.</summary>
    public static ServiceError BatchNotFound(string id) => Api.BatchLookup.NotFound(id);

    /// <summary>415: the upload is not <c>multipart/form-data</c>.</summary>
    public static ServiceError UploadNotMultipart()
        => ServiceError.UnsupportedMediaType("Upload files as multipart/form-data with the fields 'purpose' (batch) and 'file'.");

    /// <summary>415: the create body is not JSON.</summary>
    public static ServiceError CreateNotJson() => ServiceError.UnsupportedMediaType("Content-Type must be application/json.");
}

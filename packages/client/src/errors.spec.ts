import { errorOfReply, ImageClientError } from './errors';

describe('errorOfReply', () => {
  it('should keep the status, message and errors of an error reply', () => {
    const error = errorOfReply({ status: 422, message: 'bad', errors: { path: ['bad'] } });
    expect(error).toBeInstanceOf(ImageClientError);
    expect(error.status).toBe(422);
    expect(error.body).toEqual({ message: 'bad', errors: { path: ['bad'] } });
  });

  it("should read the transport's own error text as a 502", () => {
    const text = 'There is no matching message handler defined in the remote service.';
    expect(errorOfReply(text)).toEqual(new ImageClientError(502, text));
  });
});

package dev.purser.settlement.web;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/**
 * Turns every failure into the API's error envelope. A client's mistake is always a 4xx with a
 * specific code; anything else is a 500 whose body names only the request id, never a stack trace
 * or an internal message.
 */
@RestControllerAdvice
class ApiExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    @ExceptionHandler(ApiException.class)
    ResponseEntity<Envelope.Failure> api(ApiException e) {
        return ResponseEntity.status(e.status()).body(Envelope.failure(e));
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<Envelope.Failure> unreadable(HttpMessageNotReadableException e) {
        // API.md names the offending field of every 400; for unparseable JSON that is the body itself.
        return api(ApiException.badRequest("malformed_json", "body", "The request body is not valid JSON."));
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ResponseEntity<Envelope.Failure> mediaType(HttpMediaTypeNotSupportedException e) {
        return api(new ApiException(415, "unsupported_media_type", "Send the request body as application/json."));
    }

    @ExceptionHandler(HttpMediaTypeNotAcceptableException.class)
    ResponseEntity<Envelope.Failure> notAcceptable(HttpMediaTypeNotAcceptableException e) {
        return api(new ApiException(406, "not_acceptable", "This endpoint answers in application/json."));
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    ResponseEntity<Envelope.Failure> method(HttpRequestMethodNotSupportedException e) {
        return api(new ApiException(405, "method_not_allowed", "This path does not accept " + e.getMethod() + "."));
    }

    @ExceptionHandler(NoResourceFoundException.class)
    ResponseEntity<Envelope.Failure> noResource(NoResourceFoundException e) {
        return api(new ApiException(404, "not_found", "There is nothing at this path."));
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<Envelope.Failure> typeMismatch(MethodArgumentTypeMismatchException e) {
        return api(new ApiException(400, "invalid_parameter", "The parameter '" + e.getName() + "' has the wrong type.",
                Map.of("field", e.getName())));
    }

    @ExceptionHandler(MissingServletRequestParameterException.class)
    ResponseEntity<Envelope.Failure> missingParameter(MissingServletRequestParameterException e) {
        return api(new ApiException(400, "missing_parameter", "The parameter '" + e.getParameterName() + "' is required.",
                Map.of("field", e.getParameterName())));
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<Envelope.Failure> unexpected(Exception e, HttpServletRequest request) {
        Object requestId = request.getAttribute(RequestIdFilter.ATTRIBUTE);
        log.error("Unexpected failure serving {} {} (request {})", request.getMethod(), request.getRequestURI(), requestId, e);
        return ResponseEntity.status(HttpStatus.INTERNAL_SERVER_ERROR).body(Envelope.failure(new ApiException(500,
                "internal_error", "Something went wrong on our side; nothing was changed unless the request is"
                + " shown as done when you read it back.", Map.of("request_id", String.valueOf(requestId)))));
    }
}
